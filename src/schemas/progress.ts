import { z } from 'zod';

export const RunStatusSchema = z.enum([
  'preparing',
  'running',
  'paused',
  'finalizing',
  'completed',
  'completed_with_failures',
  'failed',
  'cancelled',
]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const LadStatusSchema = z.enum(['queued', 'running', 'retrying', 'succeeded', 'failed', 'cancelled']);
export type LadStatus = z.infer<typeof LadStatusSchema>;

/** One operator action, kept for the progress query: who changed what, when and why. */
export const AuditEntrySchema = z.object({
  at: z.string(),
  action: z.string(),
  detail: z.string().optional(),
  reason: z.string().optional(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const PoolTargetSchema = z.object({
  id: z.string(),
  targetDedicated: z.number().int().min(0),
  targetLowPriority: z.number().int().min(0),
});
export type PoolTarget = z.infer<typeof PoolTargetSchema>;

/** Reply of the `progress` query. */
export const RunProgressSchema = z.object({
  runId: z.string(),
  status: RunStatusSchema,
  paused: z.boolean(),
  counts: z.object({
    total: z.number().int(),
    queued: z.number().int(),
    running: z.number().int(),
    retrying: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int(),
  }),
  /** Per LAD: state, attempts so far, duration once finished (ms). */
  lads: z.array(z.object({ lad: z.string(), status: LadStatusSchema, attempts: z.number().int(), durationMs: z.number().optional() })),
  /** Durations of finished LADs in milliseconds, for an ETA. */
  finishedDurationsMs: z.array(z.number()),
  pool: PoolTargetSchema.optional(),
  audit: z.array(AuditEntrySchema),
  startedAt: z.string(),
});
export type RunProgress = z.infer<typeof RunProgressSchema>;
