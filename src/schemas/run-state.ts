import { z } from 'zod';
import { LadResultSchema } from './lad';
import { AuditEntrySchema, LadStatusSchema, PoolTargetSchema, RunStatusSchema } from './progress';

export const LadRecordSchema = z.object({
  status: LadStatusSchema,
  /** Attempts made so far (from retry notices and the final result). */
  attempts: z.number().int().min(0),
  result: LadResultSchema.optional(),
  /** Why a LAD was cancelled on its own (its child workflow cancelled or terminated), for the manifest and summary. */
  note: z.string().optional(),
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
  prepared: z.object({ container: z.string(), jobId: z.string(), poolId: z.string(), poolCreated: z.boolean().optional() }).optional(),
  /** The user resized the pool during the run (a reused pool is then left at their size). */
  userScaledPool: z.boolean().optional(),
  pool: PoolTargetSchema.optional(),
  audit: z.array(AuditEntrySchema),
  /** Set once the run must stop: cancel, run timeout, or the failure threshold. */
  stop: z.object({ status: z.enum(['cancelled', 'failed']), reason: z.string() }).optional(),
  continuedAsNew: z.number().int().min(0),
});
export type RunState = z.infer<typeof RunStateSchema>;
