import { z } from 'zod';

/** Input of `spcReaper` (both default to the reaper workflow's own namespace and task queue). */
export const ReaperInputSchema = z
  .object({
    namespace: z.string().min(1, 'must not be empty').optional(),
    taskQueue: z.string().min(1, 'must not be empty').optional(),
  })
  .strict();
export type ReaperInput = z.infer<typeof ReaperInputSchema>;

/** Input of the `reapOrphans` activity: which runs' resources this pass looks at. */
export const ReapRequestSchema = z.object({ namespace: z.string().min(1), taskQueue: z.string().min(1) }).strict();
export type ReapRequest = z.infer<typeof ReapRequestSchema>;

/** One resource the reaper acted on, and what it did (e.g. `terminated, deleted`, `resized to 2,0`); a `lad` is a ladRun workflow. */
export const ReapedSchema = z.object({
  kind: z.enum(['job', 'pool', 'lad']),
  id: z.string(),
  workflowId: z.string(),
  action: z.string(),
});
export type Reaped = z.infer<typeof ReapedSchema>;

/** One tagged resource the reaper left alone this pass for a reason worth reporting (doubt, a busy pool). */
export const ReapSkippedSchema = z.object({
  kind: z.enum(['job', 'pool', 'lad']),
  id: z.string(),
  workflowId: z.string(),
  reason: z.string(),
});
export type ReapSkipped = z.infer<typeof ReapSkippedSchema>;

/** What one reaper pass did: tagged resources of this namespace and task queue checked, reaped, skipped. */
export const ReapReportSchema = z.object({
  checked: z.number().int().min(0),
  reaped: z.array(ReapedSchema),
  skipped: z.array(ReapSkippedSchema),
});
export type ReapReport = z.infer<typeof ReapReportSchema>;
