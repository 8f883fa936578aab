/**
 * What the run keeps of its pool watch (carried across continue-as-new): node time for the cost, the rates met,
 * the VM size in use, and how long the pool has had no node. Pure (zod only).
 */
import { z } from 'zod';
import { NodeTimeSchema, RunRatesSchema } from './cost';

/** The pool as the watch last read it: when, its size, and its nodes now (allocated, any state). */
export const PoolReadingSchema = z.object({ at: z.number(), vmSize: z.string(), dedicated: z.number().int().min(0), spot: z.number().int().min(0) });
export type PoolReading = z.infer<typeof PoolReadingSchema>;

export const PoolWatchStateSchema = z.object({
  /** Index in `pool.vmSizes` of the size the pool has now, and that size. */
  vmSizeIndex: z.number().int().min(0),
  vmSize: z.string(),
  /** The run's `budget`, so every view of the cost shows it. */
  budget: z.number().optional(),
  nodeTime: z.array(NodeTimeSchema),
  rates: RunRatesSchema.optional(),
  last: PoolReadingSchema.optional(),
  /** Epoch ms since which the pool has had no node while asking for some. */
  zeroNodesSince: z.number().optional(),
  /** Set once the pool has had no node longer than `poolWatch.zeroNodesMs`: why (its resize error, or "allocating"). */
  stuck: z.string().optional(),
});
export type PoolWatchState = z.infer<typeof PoolWatchStateSchema>;

/** What the progress query and the memo show of the pool's capacity. */
export const CapacityProgressSchema = z.object({
  vmSize: z.string(),
  nodes: z.object({ dedicated: z.number().int(), spot: z.number().int() }).optional(),
  zeroNodesSince: z.string().optional(),
  /** The run has had no node longer than its limit: why. */
  stuck: z.string().optional(),
});
export type CapacityProgress = z.infer<typeof CapacityProgressSchema>;

/** Resize error codes a pool gets for lack of capacity or core quota: another VM size may fare better. */
export const FALLBACK_RESIZE_CODES = ['AllocationFailed', 'AccountCoreQuotaReached', 'AccountVMSeriesCoreQuotaReached', 'AccountLowPriorityCoreQuotaReached'] as const;

/** Whether Batch's `code` (any casing: Azure mixes them) is one {@link FALLBACK_RESIZE_CODES} names. */
export const isFallbackCode = (code: string | undefined): boolean => !!code && FALLBACK_RESIZE_CODES.some((c) => c.toLowerCase() === code.toLowerCase());

/** Why a watch of the pool returned to the run. */
export const WatchReportKindSchema = z.enum(['report', 'stuck', 'unstuck', 'allocation-failed']);

/** What one `watchPool` activity measured, returned when the run must hear of it (or every `reportMs`). */
export const WatchReportSchema = z.object({
  kind: WatchReportKindSchema,
  /** Node time since the reading the request carried (or the watch began). */
  nodeTime: z.array(NodeTimeSchema),
  last: PoolReadingSchema.optional(),
  zeroNodesSince: z.number().optional(),
  stuck: z.string().optional(),
  resizeError: z.object({ code: z.string(), message: z.string() }).optional(),
  /** The rates of the pool's VM size (absent when the rates file gives none or could not be read). */
  rates: RunRatesSchema.optional(),
});
export type WatchReport = z.infer<typeof WatchReportSchema>;
