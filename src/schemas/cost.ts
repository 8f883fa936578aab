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

/** The rate of `vmSize` in `rates` (names compared case-insensitively). */
export function rateOf(rates: Record<string, VmRate>, vmSize: string): VmRate | undefined {
  const wanted = vmSize.toLowerCase();
  for (const [name, rate] of Object.entries(rates)) if (name.toLowerCase() === wanted) return rate;
  return undefined;
}

/** Adds `more` into `total` (same size, any case, and priority summed). */
export function addNodeTime(total: NodeTime[], more: readonly NodeTime[]): void {
  for (const m of more) {
    if (m.nodeMs <= 0) continue;
    const line = total.find((t) => t.vmSize.toLowerCase() === m.vmSize.toLowerCase() && t.priority === m.priority);
    if (line) line.nodeMs += m.nodeMs;
    else total.push({ ...m, vmSize: m.vmSize.toLowerCase() });
  }
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Prices node time with `rates` (when known): one line per size and priority, the estimate, what had no rate. */
export function estimateCost(nodeTime: readonly NodeTime[], rates: RunRates | undefined, budget?: number): CostEstimate {
  const unpriced: string[] = [];
  let estimate: number | undefined;
  const lines = nodeTime.map((t) => {
    const nodeHours = t.nodeMs / 3_600_000;
    const rate = rates && rateOf(rates.rates, t.vmSize);
    const perHour = t.priority === 'spot' ? rate?.spot : rate?.dedicated;
    if (perHour === undefined) {
      unpriced.push(`${t.vmSize} ${t.priority}`);
      return { vmSize: t.vmSize, priority: t.priority, nodeHours: round(nodeHours, 4) };
    }
    const cost = nodeHours * perHour;
    estimate = (estimate ?? 0) + cost;
    return { vmSize: t.vmSize, priority: t.priority, nodeHours: round(nodeHours, 4), perHour, cost: round(cost, 6) };
  });
  return {
    ...(rates && { currency: rates.currency, ratesDate: rates.date, ratesSource: rates.source }),
    ...(estimate !== undefined && { estimate: round(estimate, 6) }),
    lines,
    ...(unpriced.length > 0 && { unpriced }),
    ...(budget !== undefined && { budget }),
  };
}

/** One line for people: `~1.23 GBP (budget 5 GBP), 4.2 node-hours`. */
export function formatCost(cost: CostEstimate): string {
  const hours = cost.lines.reduce((n, l) => n + l.nodeHours, 0);
  const money = cost.estimate !== undefined ? `~${formatMoney(cost.estimate)} ${cost.currency ?? ''}`.trim() : 'cost unknown';
  const budget = cost.budget !== undefined ? ` (budget ${formatMoney(cost.budget)} ${cost.currency ?? ''})`.replace(' )', ')') : '';
  const unpriced = cost.unpriced?.length ? `, no rate for ${cost.unpriced.join(', ')}` : '';
  return `${money}${budget}, ${round(hours, 2)} node-hours${unpriced}`;
}

/** Money with enough digits to show small amounts (a test run costs a fraction of a penny). */
export function formatMoney(amount: number): string {
  if (amount === 0) return '0';
  if (Math.abs(amount) >= 1) return amount.toFixed(2);
  return amount.toPrecision(2);
}
