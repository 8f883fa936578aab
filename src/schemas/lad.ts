import { z } from 'zod';
import { BlobRefSchema, LadCodeSchema, RecipeSchema, RetrySchema, RunIdSchema, TimeoutsSchema } from './run-input';

/** What a ladRun child needs: plain JSON, no secrets (activities mint SAS URLs themselves). */
export const LadRunInputSchema = z.object({
  runId: RunIdSchema,
  lad: LadCodeSchema,
  jobId: z.string().min(1),
  container: z.string().min(1),
  recipe: RecipeSchema,
  retry: RetrySchema,
  timeouts: TimeoutsSchema,
  expectedFiles: z.union([z.literal('contract'), z.array(z.string())]),
  pollIntervalMs: z.number().int().min(100),
  /** Attempt number to start at (a LAD restarted after the parent continued as new keeps counting). @default 1 */
  firstAttempt: z.number().int().min(1).default(1),
  /** Place in the run's start order (longest first): the worker adds this run's tasks in that order. */
  rank: z.number().int().min(0).optional(),
  /**
   * The ladRun behaviour its parent asks for (LAD_INPUT_VERSION in workflows/patches.ts): carried in the input so
   * the LAD's history needs no patch markers. Absent (a parent before 0.3): patches decide.
   */
  version: z.number().int().min(1).optional(),
});
export type LadRunInput = z.infer<typeof LadRunInputSchema>;

/** One Batch task run for a LAD. */
export const LadAttemptSchema = z.object({
  attempt: z.number().int().min(1),
  taskId: z.string(),
  nodeId: z.string().optional(),
  startTime: z.string().optional(),
  endTime: z.string().optional(),
  durationMs: z.number().optional(),
  exitCode: z.number().int().optional(),
  /** success | failure (task), or outputs-missing (task succeeded, outputs did not match). */
  outcome: z.enum(['success', 'failure', 'outputs-missing']),
  failureCode: z.string().optional(),
  stderrTail: z.string().optional(),
  /** Times Batch requeued the task and ran it again (Spot eviction, node loss): not failed attempts. */
  preemptions: z.number().int().min(0).optional(),
});
export type LadAttempt = z.infer<typeof LadAttemptSchema>;

/** A ladRun's result. */
export const LadResultSchema = z.object({
  lad: LadCodeSchema,
  status: z.enum(['succeeded', 'failed']),
  attempts: z.array(LadAttemptSchema),
  /** Start of the first attempt to end of the last, in milliseconds. */
  durationMs: z.number().optional(),
  /** Files verified (succeeded LADs). */
  fileCount: z.number().int().optional(),
  error: z.string().optional(),
  /** The child wrote this result to the run's container (`_spc/lads/<LAD>.json`), where finalize reads it. */
  recorded: z.boolean().optional(),
});
export type LadResult = z.infer<typeof LadResultSchema>;

/** What the worker reads a LAD list from. */
export const LadsCsvRequestSchema = z.object({ source: BlobRefSchema });
