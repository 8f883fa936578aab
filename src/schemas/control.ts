import { z } from 'zod';

/** Payload of the `scalePool` signal and update: new node targets of the run's pool. */
export const ScaleRequestSchema = z.object({
  dedicatedNodes: z.number().int('must be an integer').min(0, 'must be >= 0').max(1000, 'must be <= 1000'),
  lowPriorityNodes: z.number().int('must be an integer').min(0, 'must be >= 0').max(1000, 'must be <= 1000').optional(),
  reason: z.string().max(500).optional(),
}).strict();
export type ScaleRequest = z.infer<typeof ScaleRequestSchema>;

/** Payload of `pause`, `resume` and `cancel` (all optional). */
export const ControlRequestSchema = z.object({ reason: z.string().max(500).optional() }).strict();
export type ControlRequest = z.infer<typeof ControlRequestSchema>;
