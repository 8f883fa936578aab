/**
 * Releasing what a run holds when it ends, whatever the ending (finalize, a cancel during prepare, a failure): per
 * its cleanup policy, and only what the run's own tags say is its own. A pool the run created is deleted (or tagged
 * kept); a reused pool is never deleted, and goes back to its size before the run unless the user scaled it during
 * the run; a job is deleted, or terminated and tagged kept (so it no longer counts against the active-job quota).
 * Each step tolerates "already gone", and the pool goes before the job, whose tags say how to restore it.
 */
import { activityInfo, Context, log } from '@temporalio/activity';
import type { BatchServiceClient } from '@azure/batch';
import type { BlobServiceClient } from '@azure/storage-blob';
import { belongsTo, parsePoolRestore, tagOf, TAG_KEEP, TAG_POOL_RESTORE, withTag, type MetadataItem } from '../schemas/batch-tags';
import { batchSignal, callSignal } from './clients';
import { codeOf, mapped, statusOf, toFailure } from './errors';
import { getJob, getPool, resizeWhenSteady } from './prepare';

export type CleanupTarget = 'job' | 'pool' | 'container';

/** What a run holds and what its policy lets go. */
export interface ReleaseRunRequest {
  runId: string;
  jobId: string;
  poolId: string;
  container: string;
  /** True when the run created the pool (`pool.id` was "create"). */
  poolCreated: boolean;
  cleanup: CleanupTarget[];
  /** The workflow's first run id, matched against the tags (absent for runs started before tags existed). */
  runChain?: string;
  /** The user resized a reused pool during the run: leave it at their size. */
  userScaledPool?: boolean;
  /** A redrive never deletes the container: it holds the original run's outputs. */
  keepContainer?: boolean;
}

const gone = (err: unknown) => statusOf(err) === 404 || (statusOf(err) === 409 && /BeingDeleted$|^JobCompleted$|^JobBeingTerminated$/.test(codeOf(err) ?? ''));
const batchAbort = () => batchSignal(Context.current().cancellationSignal);

/**
 * Releases the run's job, pool and container per its policy.
 * @returns one line per thing done, e.g. `pool spc-x deleted`
 */
export async function releaseRun(batch: BatchServiceClient, blobs: BlobServiceClient, req: ReleaseRunRequest): Promise<string[]> {
  const identity = { workflowId: activityInfo().workflowExecution?.workflowId ?? req.runId, runChain: req.runChain ?? '' };
  // Runs started before tags existed have no chain to compare: their derived names are theirs.
  const ours = (metadata: MetadataItem[] | undefined) => (req.runChain ? belongsTo(metadata, identity) : true);
  const done: string[] = [];
  const job = await getJob(batch, req.jobId);
  const jobIsOurs = job !== undefined && ours(job.metadata);

  const pool = await getPool(batch, req.poolId);
  if (pool && req.poolCreated && ours(pool.metadata)) {
    if (req.cleanup.includes('pool')) {
      await tolerate(() => batch.pool.deleteMethod(req.poolId, { abortSignal: batchAbort() }), `pool delete ${req.poolId}`);
      done.push(`pool ${req.poolId} deleted`);
    } else {
      await batch.pool.patch(req.poolId, { metadata: withTag(pool.metadata, TAG_KEEP, 'true') }, { abortSignal: batchAbort() }).catch((err: unknown) => rethrowUnlessGone(err, `pool tag ${req.poolId}`));
      done.push(`pool ${req.poolId} kept`);
    }
  } else if (pool && !req.poolCreated) {
    const restore = parsePoolRestore(tagOf(job?.metadata, TAG_POOL_RESTORE));
    if (restore && !req.userScaledPool && (pool.targetDedicatedNodes !== restore.dedicated || pool.targetLowPriorityNodes !== restore.lowPriority)) {
      await resizeWhenSteady(batch, req.poolId, { id: req.poolId, targetDedicated: restore.dedicated, targetLowPriority: restore.lowPriority });
      done.push(`pool ${req.poolId} restored to ${restore.dedicated}+${restore.lowPriority} nodes`);
    }
  }

  if (jobIsOurs) {
    if (req.cleanup.includes('job')) {
      await tolerate(() => batch.job.deleteMethod(req.jobId, { abortSignal: batchAbort() }), `job delete ${req.jobId}`);
      done.push(`job ${req.jobId} deleted`);
    } else {
      // Tagged first: a completed (terminated) job can no longer be patched.
      await batch.job.patch(req.jobId, { metadata: withTag(job.metadata, TAG_KEEP, 'true') }, { abortSignal: batchAbort() }).catch((err: unknown) => rethrowUnlessGone(err, `job tag ${req.jobId}`));
      await terminateJob(batch, req.jobId, 'run ended; job kept by its cleanup policy');
      done.push(`job ${req.jobId} kept (terminated)`);
    }
  }

  if (req.cleanup.includes('container') && !req.keepContainer) {
    await mapped(`container delete ${req.container}`, () => blobs.getContainerClient(req.container).deleteIfExists({ abortSignal: callSignal(Context.current().cancellationSignal) }));
    done.push(`container ${req.container} deleted`);
  }
  log.info('run released', { runId: req.runId, done });
  return done;
}

/** Terminates a job; gone, completed or already terminating is fine. */
export async function terminateJob(batch: BatchServiceClient, jobId: string, reason: string): Promise<void> {
  try {
    await batch.job.terminate(jobId, { terminateReason: reason.slice(0, 100), abortSignal: batchAbort() });
  } catch (err) {
    if (statusOf(err) === 404 || (statusOf(err) === 409 && ['JobCompleted', 'JobBeingTerminated', 'JobBeingDeleted'].includes(codeOf(err) ?? ''))) return;
    throw toFailure(err, `job terminate ${jobId}`);
  }
}

async function tolerate(call: () => Promise<unknown>, what: string): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (!gone(err)) throw toFailure(err, what);
  }
}

function rethrowUnlessGone(err: unknown, what: string): void {
  if (!gone(err)) throw toFailure(err, what);
}

/** Runs `fn` over items with at most `limit` at once. */
export async function runLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(lanes);
}
