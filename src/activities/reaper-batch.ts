/**
 * The Batch side of the reaper: whole listings of jobs and pools (no `$filter`: metadata cannot be filtered on),
 * and the idempotent terminate / delete / resize it performs. Each call tolerates the "already done" answers and
 * maps anything else with {@link toFailure}.
 */
import { Context, heartbeat } from '@temporalio/activity';
import type { BatchServiceClient, BatchServiceModels } from '@azure/batch';
import type { PoolSize } from '../schemas/batch-tags';
import { batchSignal } from './clients';
import { codeOf, statusOf, toFailure } from './errors';

/** The fields the reaper reads of a job. */
export const JOB_SELECT = 'id,state,metadata,poolInfo';
/** The fields the reaper reads of a pool (allocationState: a reused pool is resized only when steady). */
export const POOL_SELECT = 'id,state,allocationState,metadata,targetDedicatedNodes,targetLowPriorityNodes';

const signal = () => batchSignal(Context.current().cancellationSignal);

/** Every job of the account (all pages), with {@link JOB_SELECT}. */
export async function listJobs(batch: BatchServiceClient): Promise<BatchServiceModels.CloudJob[]> {
  try {
    const all: BatchServiceModels.CloudJob[] = [];
    let page = await batch.job.list({ jobListOptions: { select: JOB_SELECT }, abortSignal: signal() });
    for (;;) {
      all.push(...page);
      heartbeat();
      if (!page.odatanextLink) return all;
      page = await batch.job.listNext(page.odatanextLink, { abortSignal: signal() });
    }
  } catch (err) {
    throw toFailure(err, 'job list');
  }
}

/** Every pool of the account (all pages), with {@link POOL_SELECT}. */
export async function listPools(batch: BatchServiceClient): Promise<BatchServiceModels.CloudPool[]> {
  try {
    const all: BatchServiceModels.CloudPool[] = [];
    let page = await batch.pool.list({ poolListOptions: { select: POOL_SELECT }, abortSignal: signal() });
    for (;;) {
      all.push(...page);
      heartbeat();
      if (!page.odatanextLink) return all;
      page = await batch.pool.listNext(page.odatanextLink, { abortSignal: signal() });
    }
  } catch (err) {
    throw toFailure(err, 'pool list');
  }
}

const isGone = (err: unknown): boolean => statusOf(err) === 404 || (statusOf(err) === 409 && /BeingDeleted$/.test(codeOf(err) ?? ''));

/** Terminates a job, which kills its running tasks; already terminated, completed, deleting or gone is fine. */
export async function terminateJob(batch: BatchServiceClient, jobId: string, reason: string): Promise<void> {
  try {
    await batch.job.terminate(jobId, { terminateReason: reason.slice(0, 100), abortSignal: signal() });
  } catch (err) {
    if (isGone(err) || (statusOf(err) === 409 && ['JobCompleted', 'JobBeingTerminated'].includes(codeOf(err) ?? ''))) return;
    throw toFailure(err, `job terminate ${jobId}`);
  }
}

/** Deletes a job; deleting or gone is fine. */
export async function deleteJob(batch: BatchServiceClient, jobId: string): Promise<void> {
  try {
    await batch.job.deleteMethod(jobId, { abortSignal: signal() });
  } catch (err) {
    if (!isGone(err)) throw toFailure(err, `job delete ${jobId}`);
  }
}

/** Deletes a pool (its nodes go with it); deleting or gone is fine. */
export async function deletePool(batch: BatchServiceClient, poolId: string): Promise<void> {
  try {
    await batch.pool.deleteMethod(poolId, { abortSignal: signal() });
  } catch (err) {
    if (!isGone(err)) throw toFailure(err, `pool delete ${poolId}`);
  }
}

/**
 * Resizes a steady pool back to `size`, letting running tasks finish on nodes that go (`taskcompletion`).
 * @returns `busy` when the pool is resizing (Batch resizes only a steady pool: try again on the next pass)
 */
export async function resizePoolTo(batch: BatchServiceClient, poolId: string, size: PoolSize): Promise<'resized' | 'busy' | 'gone'> {
  try {
    await batch.pool.resize(
      poolId,
      { targetDedicatedNodes: size.targetDedicated, targetLowPriorityNodes: size.targetLowPriority, nodeDeallocationOption: 'taskcompletion' },
      { abortSignal: signal() },
    );
    return 'resized';
  } catch (err) {
    if (isGone(err)) return 'gone';
    if (statusOf(err) === 409 && codeOf(err) === 'PoolBeingResized') return 'busy';
    throw toFailure(err, `pool resize ${poolId}`);
  }
}
