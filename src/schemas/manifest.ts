import { z } from 'zod';
import { LadAttemptSchema } from './lad';
import { LineageSchema } from './lineage';
import { LadStatusSchema } from './progress';
import { ReportDiffSchema } from './report';

export const ManifestFileSchema = z.object({ name: z.string(), size: z.number().int(), md5: z.string().optional() });

/** `manifest.json` in the run's container: one entry per LAD of the run, exactly once. */
export const ManifestSchema = z.object({
  runId: z.string(),
  jobId: z.string(),
  poolId: z.string(),
  container: z.string(),
  writtenAt: z.string(),
  lads: z.array(
    z.object({
      lad: z.string(),
      status: LadStatusSchema,
      attempts: z.array(LadAttemptSchema),
      taskIds: z.array(z.string()),
      nodeId: z.string().optional(),
      startTime: z.string().optional(),
      endTime: z.string().optional(),
      durationMs: z.number().optional(),
      exitCode: z.number().int().optional(),
      files: z.array(ManifestFileSchema),
      outputsOk: z.boolean(),
      error: z.string().optional(),
      /** The redrive run that last re-ran this LAD (its attempts follow the original's). */
      redriveRunId: z.string().optional(),
    }),
  ),
  /** Redrives of this run, oldest first: which LADs each re-ran and how they ended. */
  redrives: z.array(z.object({ runId: z.string(), at: z.string(), lads: z.array(z.object({ lad: z.string(), status: LadStatusSchema })) })).optional(),
  collated: z.number().int(),
  lineage: LineageSchema.optional(),
  diff: ReportDiffSchema.optional(),
  finalCheck: z.object({ ok: z.boolean(), checkedLads: z.number().int(), problems: z.array(z.object({ lad: z.string(), missing: z.array(z.string()), empty: z.array(z.string()) })) }),
});
export type Manifest = z.infer<typeof ManifestSchema>;
