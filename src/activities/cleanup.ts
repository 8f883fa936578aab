/** Cleanup per policy at the end of finalize, and a small concurrency limiter for its copies. */
import { Context } from '@temporalio/activity';
import type { BatchServiceClient } from '@azure/batch';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { FinalizeRunRequest } from './blob-outputs';
import { batchSignal, callSignal } from './clients';
import { codeOf, mapped, statusOf, toFailure } from './errors';

/** Deletes what the policy names; each step tolerates "already gone". */
export async function cleanUp(batch: BatchServiceClient, blobs: BlobServiceClient, req: FinalizeRunRequest): Promise<string[]> {
  const done: string[] = [];
  const abortSignal = () => callSignal(Context.current().cancellationSignal);
  const batchAbort = () => batchSignal(Context.current().cancellationSignal);
  const gone = (err: unknown) => statusOf(err) === 404 || (statusOf(err) === 409 && /BeingDeleted$/.test(codeOf(err) ?? ''));
  if (req.cleanup.includes('job')) {
    try {
      await batch.job.deleteMethod(req.jobId, { abortSignal: batchAbort() });
    } catch (err) {
      if (!gone(err)) throw toFailure(err, `job delete ${req.jobId}`);
    }
    done.push(`job ${req.jobId}`);
  }
  if (req.cleanup.includes('pool')) {
    try {
      await batch.pool.deleteMethod(req.poolId, { abortSignal: batchAbort() });
    } catch (err) {
      if (!gone(err)) throw toFailure(err, `pool delete ${req.poolId}`);
    }
    done.push(`pool ${req.poolId}`);
  }
  if (req.cleanup.includes('container')) {
    await mapped(`container delete ${req.container}`, () => blobs.getContainerClient(req.container).deleteIfExists({ abortSignal: abortSignal() }));
    done.push(`container ${req.container}`);
  }
  return done;
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
