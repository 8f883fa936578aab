/**
 * Cost of a run: node time by VM size and priority, priced by a rates file. Pure (zod only): the workflow prices
 * what the pool watch measured, and the same function serves the CLI and the report.
 */
import { z } from 'zod';

export const PrioritySchema = z.enum(['dedicated', 'spot']);
export type Priority = z.infer<typeof PrioritySchema>;

/** Price per node-hour of one VM size (Spot optional: without it Spot time of that size is not priced). */
export const VmRateSchema = z.strictObject({ dedicated: z.number().min(0), spot: z.number().min(0).optional() });
export type VmRate = z.infer<typeof VmRateSchema>;

/**
 * A rates file (data/rates/*.json, or the user's own): VM size (any case) -> price per node-hour, in `currency`,
 * as of `date`, from `source`.
 */
export const RatesFileSchema = z.strictObject({
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "GBP"'),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date yyyy-mm-dd'),
  source: z.string().min(1),
  region: z.string().min(1).optional(),
  rates: z.record(z.string().min(1), VmRateSchema),
});
export type RatesFile = z.infer<typeof RatesFileSchema>;

/** The rates a run priced with: the file's header and the rates of the sizes it met (lower-case names). */
export const RunRatesSchema = z.object({
  currency: z.string(),
  date: z.string(),
  source: z.string(),
  rates: z.record(z.string(), VmRateSchema),
});
export type RunRates = z.infer<typeof RunRatesSchema>;

/** Node time of one VM size and priority, in milliseconds (nodes allocated, whatever their state). */
export const NodeTimeSchema = z.object({ vmSize: z.string(), priority: PrioritySchema, nodeMs: z.number().min(0) });
export type NodeTime = z.infer<typeof NodeTimeSchema>;

/** The cost figures shown in progress, the memo, the summary and the report. */
export const CostEstimateSchema = z.object({
  currency: z.string().optional(),
  /** Sum of the priced lines; absent until something was priced. */
  estimate: z.number().optional(),
  lines: z.array(z.object({ vmSize: z.string(), priority: PrioritySchema, nodeHours: z.number(), perHour: z.number().optional(), cost: z.number().optional() })),
  /** Sizes and priorities with node time but no rate (their time is not in `estimate`). */
  unpriced: z.array(z.string()).optional(),
  ratesDate: z.string().optional(),
  ratesSource: z.string().optional(),
  budget: z.number().optional(),
});
export type CostEstimate = z.infer<typeof CostEstimateSchema>;

export { addNodeTime, estimateCost, formatCost, formatMoney, rateOf } from './cost-estimate';
