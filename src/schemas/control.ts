import { z } from 'zod';

/** Payload of the `scalePool` signal and update: new node targets of the run's pool. */
export const ScaleRequestSchema = z.object({
  dedicatedNodes: z.number().int('must be an integer').min(0, 'must be >= 0').max(1000, 'must be <= 1000'),
  lowPriorityNodes: z.number().int('must be an integer').min(0, 'must be >= 0').max(1000, 'must be <= 1000').optional(),
  /**
   * What happens to tasks on nodes a shrink removes: `taskcompletion` (default) lets running LADs finish first;
   * `requeue` kills them and runs them again elsewhere (hours of work lost); `terminate` kills them for good.
   */
  nodeDeallocationOption: z.enum(['taskcompletion', 'requeue', 'terminate', 'retaineddata']).optional(),
  reason: z.string().max(500).optional(),
}).strict();
export type ScaleRequest = z.infer<typeof ScaleRequestSchema>;

/** Payload of `pause`, `resume` and `cancel` (all optional). */
export const ControlRequestSchema = z.object({ reason: z.string().max(500).optional() }).strict();
export type ControlRequest = z.infer<typeof ControlRequestSchema>;
