import { z } from 'zod';
import { LadAttemptSchema } from './lad';
import { LineageSchema } from './lineage';
import { RunStatusSchema, AuditEntrySchema } from './progress';
import { ReportDiffSchema } from './report';
import { MAX_SUMMARY_FAILURES } from './limits';
import { CostEstimateSchema } from './cost';

export { MAX_SUMMARY_FAILURES };

/** What spcRun returns. Contains no secrets: names of blobs, never URLs with tokens. */
export const RunSummarySchema = z.object({
  runId: z.string(),
  status: RunStatusSchema,
  container: z.string().optional(),
  jobId: z.string().optional(),
  poolId: z.string().optional(),
  /** Blob name of the manifest in the container, when written. */
  manifest: z.string().optional(),
  counts: z.object({ total: z.number().int(), succeeded: z.number().int(), failed: z.number().int(), cancelled: z.number().int() }),
  /**
   * LADs that failed for good (the first {@link MAX_SUMMARY_FAILURES}), the first few with their last attempt
   * (stderr tail included); every LAD is in the manifest.
   */
  failures: z.array(z.object({ lad: z.string(), attempts: z.number().int(), lastAttempt: LadAttemptSchema.optional(), error: z.string().optional() })),
  /** Tasks that Batch requeued and ran again (Spot evictions, lost nodes); not failed attempts. */
  preemptions: z.number().int().optional(),
  /** Node-hours by VM size and priority and their estimated cost (pool time while LADs ran). */
  cost: CostEstimateSchema.optional(),
  /** Failed LADs left out of `failures`. */
  failuresOmitted: z.number().int().optional(),
  finalCheck: z.object({ ok: z.boolean(), problems: z.number().int() }).optional(),
  collated: z.number().int().optional(),
  cleanedUp: z.array(z.string()),
  reason: z.string().optional(),
  lineage: LineageSchema.optional(),
  /** Per-LAD changes against the previous run of the same schedule (when there is one); changed LADs only, bounded (all in the manifest). */
  diff: ReportDiffSchema.optional(),
  audit: z.array(AuditEntrySchema),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;
