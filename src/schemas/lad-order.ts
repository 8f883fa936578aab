import { z } from 'zod';

/** The order a run's LADs started in, and why: kept in the manifest. */
export const LadOrderRecordSchema = z.object({
  used: z.enum(['input', 'longest-first']),
  reason: z.string(),
  /** The earlier runs whose manifests gave expected durations (most recent first), if any. */
  sources: z.array(z.string()).optional(),
});
export type LadOrderRecord = z.infer<typeof LadOrderRecordSchema>;

/**
 * `_spc/plan/<runId>.json` in the run's container: the order and each LAD's expected seconds, written by the
 * planning activity, read when the manifest is written (predicted against actual per LAD, in the report).
 */
export const LadPlanSchema = LadOrderRecordSchema.extend({ expectedSeconds: z.record(z.string(), z.number()) });
export type LadPlan = z.infer<typeof LadPlanSchema>;

/** Blob of a run's plan (per run id: a redrive writes into its original's container). */
export const ladPlanBlobOf = (runId: string): string => `_spc/plan/${runId}.json`;
