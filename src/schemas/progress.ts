import { z } from 'zod';
import { MAX_DURATION_SAMPLE } from './limits';
import { CostEstimateSchema } from './cost';
import { CapacityProgressSchema } from './pool-watch';

export const RunStatusSchema = z.enum([
  'preparing',
  'running',
  'paused',
  'finalizing',
  'completed',
  'completed_with_failures',
  'failed',
  'cancelled',
]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const LadStatusSchema = z.enum(['queued', 'running', 'retrying', 'succeeded', 'failed', 'cancelled']);
export type LadStatus = z.infer<typeof LadStatusSchema>;

/** One operator action, kept for the progress query: who changed what, when and why. */
export const AuditEntrySchema = z.object({
  at: z.string(),
  action: z.string(),
  detail: z.string().optional(),
  reason: z.string().optional(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const PoolTargetSchema = z.object({
  id: z.string(),
  targetDedicated: z.number().int().min(0),
  targetLowPriority: z.number().int().min(0),
});
export type PoolTarget = z.infer<typeof PoolTargetSchema>;

/** Most LADs one `progress` reply lists (a page); the counts always cover all. */
export const MAX_PROGRESS_PAGE = 1000;
/** LADs listed when the query names no limit. */
export const DEFAULT_PROGRESS_PAGE = 500;
export { MAX_DURATION_SAMPLE };

/**
 * An ETA that knows the work: the LADs left (queued ones by their expected duration, running ones by what is left
 * of theirs), each expectation times this run's observed/expected ratio, laid on the pool's slots in start order.
 */
export const RunEtaSchema = z.object({
  /** When the last LAD should finish (ISO). */
  endsAt: z.string(),
  /** From the time the run last computed it (its last workflow task) to `endsAt`, ms. */
  remainingMs: z.number(),
  /** Expected work left in all, slot-ms (queued and running LADs, corrected by `ratio`). */
  remainingWorkMs: z.number(),
  /** Slots the work is spread over (the pool's target nodes times task slots per node). */
  slots: z.number().int(),
  /** Observed / expected duration of the LADs finished so far in this run (1 before any). */
  ratio: z.number(),
  /** LADs whose observed duration `ratio` is from. */
  observedLads: z.number().int(),
});
export type RunEta = z.infer<typeof RunEtaSchema>;

/** Argument of the `progress` query (optional): which LADs to list, by state and page. */
export const ProgressRequestSchema = z.object({
  status: LadStatusSchema.optional(),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(0).max(MAX_PROGRESS_PAGE).default(DEFAULT_PROGRESS_PAGE),
}).strict();
export type ProgressRequest = z.input<typeof ProgressRequestSchema>;

/** Reply of the `progress` query. */
export const RunProgressSchema = z.object({
  runId: z.string(),
  status: RunStatusSchema,
  paused: z.boolean(),
  counts: z.object({
    total: z.number().int(),
    queued: z.number().int(),
    running: z.number().int(),
    retrying: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int(),
  }),
  /** One page of LADs in run order (those of `page.status` when given): state, attempts so far, duration once finished (ms). */
  lads: z.array(z.object({ lad: z.string(), status: LadStatusSchema, attempts: z.number().int(), durationMs: z.number().optional() })),
  /** Which page `lads` is: `matching` LADs in all for the filter; the next page starts at offset + lads.length. */
  page: z.object({ status: LadStatusSchema.optional(), offset: z.number().int(), limit: z.number().int(), matching: z.number().int() }).optional(),
  /** Durations of succeeded LADs in milliseconds, for an ETA (up to {@link MAX_DURATION_SAMPLE}). */
  finishedDurationsMs: z.array(z.number()),
  /** Tasks of finished LADs that Batch requeued and ran again (Spot evictions, lost nodes); not failed attempts. */
  preemptions: z.number().int().optional(),
  pool: PoolTargetSchema.optional(),
  /** The pool's VM size and nodes as last read, and why it has none when it has had none too long. */
  capacity: CapacityProgressSchema.optional(),
  /** Node-hours by VM size and priority, priced by the rates file, as of the last pool watch report. */
  cost: CostEstimateSchema.optional(),
  /** The order LADs start in and why (runs since 0.3). */
  order: z.object({ used: z.enum(['input', 'longest-first']), reason: z.string() }).optional(),
  /** When the run's LADs should all be done, from their expected durations (runs that have them). */
  eta: RunEtaSchema.optional(),
  audit: z.array(AuditEntrySchema),
  startedAt: z.string(),
});
export type RunProgress = z.infer<typeof RunProgressSchema>;
