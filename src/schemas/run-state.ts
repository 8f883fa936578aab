import { z } from 'zod';
import { LadResultSchema } from './lad';
import { AuditEntrySchema, LadStatusSchema, PoolTargetSchema, RunStatusSchema } from './progress';

export const LadRecordSchema = z.object({
  status: LadStatusSchema,
  /** Attempts made so far (from retry notices and the final result). */
  attempts: z.number().int().min(0),
  result: LadResultSchema.optional(),
});
export type LadRecord = z.infer<typeof LadRecordSchema>;

/** The parent's state, carried across continue-as-new: plain JSON, parsed on entry like the input. */
export const RunStateSchema = z.object({
  runId: z.string(),
  status: RunStatusSchema,
  paused: z.boolean(),
  startedAt: z.string(),
  /** Epoch ms after which the run stops (timeouts.runMs). */
  deadline: z.number(),
  ladOrder: z.array(z.string()),
  lads: z.record(z.string(), LadRecordSchema),
  prepared: z.object({ container: z.string(), jobId: z.string(), poolId: z.string() }).optional(),
  pool: PoolTargetSchema.optional(),
  audit: z.array(AuditEntrySchema),
  /** Set once the run must stop: cancel, run timeout, or the failure threshold. */
  stop: z.object({ status: z.enum(['cancelled', 'failed']), reason: z.string() }).optional(),
  continuedAsNew: z.number().int().min(0),
});
export type RunState = z.infer<typeof RunStateSchema>;
