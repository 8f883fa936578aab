import { z } from 'zod';
import { CostEstimateSchema } from './cost';

/** One attempt of a LAD as the report draws it: a bar on its node's row of the timeline. */
export const ReportAttemptSchema = z.object({
  attempt: z.number().int().min(1),
  taskId: z.string(),
  nodeId: z.string().optional(),
  startTime: z.string().optional(),
  endTime: z.string().optional(),
  exitCode: z.number().int().optional(),
  succeeded: z.boolean(),
  stderrTail: z.string().optional(),
  preemptions: z.number().int().optional(),
});

export const ReportLadSchema = z.object({
  lad: z.string(),
  status: z.string(),
  attempts: z.array(ReportAttemptSchema),
  outputFiles: z.number().int().min(0),
  durationMs: z.number().min(0).optional(),
  /** What the run expected it to take (from earlier runs): predicted against `durationMs`. */
  expectedDurationMs: z.number().min(0).optional(),
});

export const ReportDiffSchema = z.object({
  previousRunId: z.string(),
  lads: z.array(
    z.object({
      lad: z.string(),
      added: z.array(z.string()),
      missing: z.array(z.string()),
      changed: z.array(z.object({ name: z.string(), sizeDelta: z.number(), rowsDelta: z.number().optional() })),
      unchanged: z.number().int(),
    }),
  ),
  /** Set when `lads` lists changed LADs only (a run's summary): how many were compared and how many changed. */
  ladsCompared: z.number().int().optional(),
  ladsChanged: z.number().int().optional(),
  /** Whether the two runs ran alike (recipe version, input, what the tasks said they ran) and what differed. */
  ran: z
    .object({
      alike: z.boolean(),
      changes: z.array(z.object({ what: z.string(), before: z.string().optional(), after: z.string().optional() })),
      /** Changes beyond those listed. */
      omitted: z.number().int().optional(),
    })
    .optional(),
});

/** Everything the run report shows; built from the run's summary and manifest. */
export const ReportDataSchema = z.object({
  runId: z.string(),
  status: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  lads: z.array(ReportLadSchema),
  audit: z.array(z.object({ at: z.string(), action: z.string(), detail: z.string().optional(), reason: z.string().optional() })),
  diff: ReportDiffSchema.optional(),
  /** Node-hours by VM size and priority and their estimated cost (from the run's summary). */
  cost: CostEstimateSchema.optional(),
  /** The order the LADs started in and why, e.g. `longest-first: expected durations of ...`. */
  order: z.string().optional(),
  /** What the tasks said they ran (the manifest's provenance): each distinct file, how many LADs ran under it. */
  provenance: z.array(z.object({ file: z.string(), lads: z.number().int(), content: z.record(z.string(), z.string()) })).optional(),
  generatedAt: z.string(),
});
export type ReportData = z.infer<typeof ReportDataSchema>;
export type ReportLad = z.infer<typeof ReportLadSchema>;
