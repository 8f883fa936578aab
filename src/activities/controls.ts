/** Operator controls on Batch: pause/resume (job disable `wait` / enable), resize, stop (job terminate). Idempotent. */
import { Context, log } from '@temporalio/activity';
import type { BatchServiceClient } from '@azure/batch';
import type { PoolTarget } from '../schemas/progress';
import { batchSignal } from './clients';
import { codeOf, statusOf, toFailure } from './errors';
import { getPool, resizeWhenSteady } from './prepare';

export function createControlActivities({ batch }: { batch: BatchServiceClient }) {
  const signal = () => batchSignal(Context.current().cancellationSignal);
  return {
    /**
     * Disables the job with `wait` (running tasks finish, no new task starts) or enables it again.
     * Already in the wanted state counts as done.
     */
    async setJobEnabled({ jobId, enabled }: { jobId: string; enabled: boolean }): Promise<void> {
      try {
        if (enabled) await batch.job.enable(jobId, { abortSignal: signal() });
        else await batch.job.disable(jobId, 'wait', { abortSignal: signal() });
        log.info(enabled ? 'job enabled' : 'job disabled', { jobId });
      } catch (err) {
        // 409: already disabled/enabled (or in transition to it); the wanted end state holds or soon will.
        if (statusOf(err) === 409 && !['JobCompleted', 'JobBeingTerminated', 'JobBeingDeleted'].includes(codeOf(err) ?? '')) return;
        throw toFailure(err, `job ${enabled ? 'enable' : 'disable'} ${jobId}`);
      }
    },

    /** Resizes the pool to the given targets; replies with the target now in force. */
    async resizePool({ poolId, dedicatedNodes, lowPriorityNodes }: { poolId: string; dedicatedNodes: number; lowPriorityNodes: number }): Promise<PoolTarget> {
      const target: PoolTarget = { id: poolId, targetDedicated: dedicatedNodes, targetLowPriority: lowPriorityNodes };
      const pool = await getPool(batch, poolId);
      if (!pool) throw toFailure({ statusCode: 404, code: 'PoolNotFound', message: `pool ${poolId} not found` }, `pool resize ${poolId}`);
      if (pool.targetDedicatedNodes !== dedicatedNodes || pool.targetLowPriorityNodes !== lowPriorityNodes) {
        await resizeWhenSteady(batch, poolId, target);
      }
      log.info('pool resized', { poolId, dedicatedNodes, lowPriorityNodes });
      return target;
    },

    /** Terminates the run's job: running tasks are killed, queued ones never start. Gone or finished is fine. */
    async stopRun({ jobId, reason }: { jobId: string; reason: string }): Promise<void> {
      try {
        await batch.job.terminate(jobId, { terminateReason: reason.slice(0, 100), abortSignal: signal() });
        log.info('job terminated', { jobId, reason });
      } catch (err) {
        if (statusOf(err) === 404 || (statusOf(err) === 409 && ['JobCompleted', 'JobBeingTerminated', 'JobBeingDeleted'].includes(codeOf(err) ?? ''))) return;
        throw toFailure(err, `job terminate ${jobId}`);
      }
    },
  };
}
