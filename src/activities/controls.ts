/**
 * Operator controls on Batch: pause/resume (job disable `wait` / enable), resize, stop (job terminate), and release
 * (what a run holds, per its policy). Idempotent.
 */
import { Context, log } from '@temporalio/activity';
import type { BatchServiceClient, BatchServiceModels } from '@azure/batch';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { PoolTarget } from '../schemas/progress';
import { releaseRun, terminateJob, type ReleaseRunRequest } from './cleanup';
import { batchSignal } from './clients';
import { codeOf, statusOf, toFailure } from './errors';
import { getPool, resizeWhenSteady } from './prepare';
import { renewStartTaskIfDue } from './start-task-renewal';

export interface ResizePoolRequest {
  poolId: string;
  dedicatedNodes: number;
  lowPriorityNodes: number;
  /** For a shrink: what happens to tasks on removed nodes. @default "taskcompletion" (running LADs finish) */
  nodeDeallocationOption?: BatchServiceModels.ComputeNodeDeallocationOption;
}

export function createControlActivities({ batch, blobs, startTaskSasMs }: { batch: BatchServiceClient; blobs: BlobServiceClient; startTaskSasMs: number }) {
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

    /**
     * Resizes the pool to the given targets (a shrink waits for running LADs unless told otherwise); replies with the
     * target now in force. A run pool's start task is re-signed first when due: the new nodes download it now.
     */
    async resizePool({ poolId, dedicatedNodes, lowPriorityNodes, nodeDeallocationOption = 'taskcompletion' }: ResizePoolRequest): Promise<PoolTarget> {
      const target: PoolTarget = { id: poolId, targetDedicated: dedicatedNodes, targetLowPriority: lowPriorityNodes };
      const pool = await getPool(batch, poolId);
      if (!pool) throw toFailure({ statusCode: 404, code: 'PoolNotFound', message: `pool ${poolId} not found` }, `pool resize ${poolId}`);
      await renewStartTaskIfDue(batch, blobs, pool, startTaskSasMs, Context.current().cancellationSignal);
      if (pool.targetDedicatedNodes !== dedicatedNodes || pool.targetLowPriorityNodes !== lowPriorityNodes) {
        await resizeWhenSteady(batch, poolId, target, nodeDeallocationOption);
      }
      log.info('pool resized', { poolId, dedicatedNodes, lowPriorityNodes, nodeDeallocationOption });
      return target;
    },

    /** Terminates the run's job: running tasks are killed, queued ones never start. Gone or finished is fine. */
    async stopRun({ jobId, reason }: { jobId: string; reason: string }): Promise<void> {
      await terminateJob(batch, jobId, reason);
      log.info('job terminated', { jobId, reason });
    },

    /** Releases what the run holds per its policy, without finalizing (a cancel during prepare, a failed run). */
    async releaseRun(req: ReleaseRunRequest): Promise<string[]> {
      return releaseRun(batch, blobs, req);
    },
  };
}
