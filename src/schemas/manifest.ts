import { z } from 'zod';
import { LadAttemptSchema } from './lad';
import { LadOrderRecordSchema } from './lad-order';
import { LineageSchema } from './lineage';
import { LadStatusSchema } from './progress';
import { ReportDiffSchema } from './report';

export const ManifestFileSchema = z.object({ name: z.string(), size: z.number().int(), md5: z.string().optional() });

/** What the 2011-to-2020 merge (`merge2020: true`) did: each 2020 LAD made from other codes, and its files. */
export const Merge2020Schema = z.object({
  lads: z.array(
    z.object({
      lad: z.string(),
      sources: z.array(z.string()),
      kind: z.enum(['renamed', 'merged']),
      /** Files written under `merged2020/<lad>/`. */
      files: z.number().int(),
      skipped: z.string().optional(),
    }),
  ),
});
export type Merge2020 = z.infer<typeof Merge2020Schema>;

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
      /** What the run expected this LAD to take (from earlier runs, lad-order.ts), for predicted against actual. */
      expectedDurationMs: z.number().optional(),
      /** The redrive run that last re-ran this LAD (its attempts follow the original's). */
      redriveRunId: z.string().optional(),
      /** The id of the provenance its task left (see `provenance`). */
      provenance: z.string().optional(),
    }),
  ),
  /** Redrives of this run, oldest first: which LADs each re-ran and how they ended. */
  redrives: z.array(z.object({ runId: z.string(), at: z.string(), lads: z.array(z.object({ lad: z.string(), status: LadStatusSchema })) })).optional(),
  collated: z.number().int(),
  /** The order the LADs started in and why (runs since 0.3). */
  order: LadOrderRecordSchema.optional(),
  lineage: LineageSchema.optional(),
  /**
   * What the tasks said they ran (their `provenance/` files, e.g. the spenser recipe's installed commits), one entry
   * per distinct file, the most common first; `id` is a hash of the content, equal on two nights that ran the same.
   */
  provenance: z.array(z.object({ id: z.string(), file: z.string(), lads: z.number().int(), content: z.record(z.string(), z.string()) })).optional(),
  /** Distinct provenance files beyond the 20 read. */
  provenanceOmitted: z.number().int().optional(),
  diff: ReportDiffSchema.optional(),
  /** Present when the run merged to 2020 LADs; `finalCheck` then covers the 2020 list. */
  merge2020: Merge2020Schema.optional(),
  finalCheck: z.object({ ok: z.boolean(), checkedLads: z.number().int(), problems: z.array(z.object({ lad: z.string(), missing: z.array(z.string()), empty: z.array(z.string()) })) }),
});
export type Manifest = z.infer<typeof ManifestSchema>;
