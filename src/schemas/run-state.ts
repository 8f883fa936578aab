import { z } from 'zod';
import { LadAttemptSchema, LadResultSchema } from './lad';
import { AuditEntrySchema, LadStatusSchema, PoolTargetSchema, RunStatusSchema } from './progress';
import { PoolWatchStateSchema } from './pool-watch';

/**
 * What the parent keeps of one LAD: compact, so a run of 10,000 LADs stays small. The full result (every attempt,
 * stderr tails) is in the run's container, written by the LAD's child (`_spc/lads/<LAD>.json`).
 */
export const LadRecordSchema = z.object({
  status: LadStatusSchema,
  /** Attempts made so far (from retry notices and the final result). */
  attempts: z.number().int().min(0),
  /** Start of the first attempt to end of the last (finished LADs). */
  durationMs: z.number().optional(),
  /** Why a failed LAD failed (one line, bounded). */
  error: z.string().optional(),
  /** The last attempt of a failed LAD, kept for the first few failures only (the summary shows their stderr). */
  lastAttempt: LadAttemptSchema.optional(),
  /**
   * The whole result, kept only when its child did not write it to storage (a child of a release before 0.2), so
   * finalize can still put it in the manifest.
   */
  result: LadResultSchema.optional(),
  /**
   * When the LAD took a slot of the pool, as the parent reckons it (epoch ms; in memory only, for the ETA): at its
   * start when a slot was free, else when a LAD ahead of it finished. Not carried across continue-as-new.
   */
  slotSince: z.number().optional(),
  /** Why a LAD was cancelled on its own (its child workflow cancelled or terminated), for the manifest and summary. */
  note: z.string().optional(),
});
export type LadRecord = z.infer<typeof LadRecordSchema>;

const RunStateFields = {
  runId: z.string(),
  status: RunStatusSchema,
  paused: z.boolean(),
  startedAt: z.string(),
  /** Epoch ms after which the run stops (timeouts.runMs). */
  deadline: z.number(),
  prepared: z.object({ container: z.string(), jobId: z.string(), poolId: z.string(), poolCreated: z.boolean().optional() }).optional(),
  /** The user resized the pool during the run (a reused pool is then left at their size). */
  userScaledPool: z.boolean().optional(),
  pool: PoolTargetSchema.optional(),
  audit: z.array(AuditEntrySchema),
  /** Set once the run must stop: cancel, run timeout, or the failure threshold. */
  stop: z.object({ status: z.enum(['cancelled', 'failed']), reason: z.string() }).optional(),
  continuedAsNew: z.number().int().min(0),
  /** The order LADs start in and their expected seconds (packed, 4 characters per LAD in `ladOrder`), since 0.3. */
  plan: z
    .object({
      used: z.enum(['input', 'longest-first']),
      reason: z.string(),
      expected: z.string().optional(),
      /** Task slots per node of the pool (the ETA's slots are its nodes times this). */
      slotsPerNode: z.number().int().min(1),
    })
    .optional(),
  /** Tasks of finished LADs that Batch requeued and ran again (Spot evictions, lost nodes), in all. */
  preemptions: z.number().int().min(0).optional(),
  /** The pool watch's figures (since 0.2): node time, rates, VM size, a pool without nodes. */
  poolWatch: PoolWatchStateSchema.optional(),
};

/** The parent's state in memory (and, before 0.2, as carried across continue-as-new). */
export const RunStateSchema = z.object({
  ...RunStateFields,
  ladOrder: z.array(z.string()),
  lads: z.record(z.string(), LadRecordSchema),
});
export type RunState = z.infer<typeof RunStateSchema>;

/**
 * The LADs of a run, packed: one character per LAD for its status, one for its attempts, four for its duration, so
 * 10,000 LADs take about 60 KB; sparse maps for what few LADs have (errors, notes). Carried across continue-as-new
 * and given to finalize. `ladOrder` is left out when it equals the input's `lads` (the input is carried too).
 */
export const PackedLadsSchema = z.object({
  ladOrder: z.array(z.string()).optional(),
  /** Per LAD in order: q(ueued) r(unning) t (retrying) s(ucceeded) f(ailed) c(ancelled). */
  statuses: z.string().regex(/^[qrtsfc]*$/),
  /** Per LAD in order: attempts in base 36 (capped at 35). */
  attempts: z.string().regex(/^[0-9a-z]*$/),
  /** Per LAD in order: duration in whole seconds, 4 base-36 digits (`----` for none). */
  durations: z.string().regex(/^([0-9a-z]{4}|-{4})*$/),
  errors: z.record(z.string(), z.string()),
  notes: z.record(z.string(), z.string()),
  lastAttempts: z.record(z.string(), LadAttemptSchema),
  results: z.record(z.string(), LadResultSchema),
});
export type PackedLads = z.infer<typeof PackedLadsSchema>;

/** The state as carried across continue-as-new since 0.2 (before: {@link RunStateSchema}). */
export const PackedRunStateSchema = z.object({ ...RunStateFields, format: z.literal(2), lads: PackedLadsSchema });
export type PackedRunState = z.infer<typeof PackedRunStateSchema>;
