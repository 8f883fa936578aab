/**
 * Keeps a run pool's start task installable for as long as the run lasts. Its resource files are SAS URLs, and a
 * node that joins the pool days later (scale-up, reboot, Spot replacement) downloads them then. Rather than grant
 * long-lived tokens, the workers watching the run re-sign them (same blobs, fresh expiry) once half the validity
 * has passed, and before every resize. Only pools a run created are touched: a reused pool's start task is its owner's.
 */
import { BlobClient, type BlobServiceClient } from '@azure/storage-blob';
import type { BatchServiceClient, BatchServiceModels } from '@azure/batch';
import { tagOf, TAG_OWNER, type MetadataItem } from '../schemas/batch-tags';
import { batchSignal } from './clients';
import { toFailure } from './errors';
import { readUrl } from './sas';

/** The earliest `se=` (signed expiry) among the start task's URLs, in epoch ms; undefined when none is signed. */
export function startTaskExpiryMs(startTask: BatchServiceModels.StartTask | undefined): number | undefined {
  const expiries = (startTask?.resourceFiles ?? []).flatMap((f) => {
    if (!f.httpUrl) return [];
    const se = new URL(f.httpUrl).searchParams.get('se');
    const at = se ? Date.parse(se) : NaN;
    return Number.isFinite(at) ? [at] : [];
  });
  return expiries.length ? Math.min(...expiries) : undefined;
}

/** True when the start task's URLs have less than half their validity left. */
export function renewalDue(startTask: BatchServiceModels.StartTask | undefined, validityMs: number, nowMs = Date.now()): boolean {
  const expiry = startTaskExpiryMs(startTask);
  return expiry !== undefined && expiry - nowMs < validityMs / 2;
}

/** The same blob's URL, signed again for `validityMs`. */
async function resign(blobs: BlobServiceClient, url: string, validityMs: number): Promise<string> {
  const parsed = new BlobClient(url.split('?')[0]);
  return readUrl(blobs, parsed.containerName, parsed.name, validityMs);
}

/**
 * Re-signs the start task of a pool the run created when its URLs are due (see {@link renewalDue}).
 * @returns true when the pool's start task was replaced
 */
export async function renewStartTaskIfDue(
  batch: BatchServiceClient,
  blobs: BlobServiceClient,
  pool: Pick<BatchServiceModels.CloudPool, 'id' | 'metadata' | 'startTask'>,
  validityMs: number,
  abortSignal?: AbortSignal,
): Promise<boolean> {
  if (!pool.id || !pool.startTask || tagOf(pool.metadata as MetadataItem[] | undefined, TAG_OWNER) !== 'run') return false;
  if (!renewalDue(pool.startTask, validityMs)) return false;
  const resourceFiles = await Promise.all(
    (pool.startTask.resourceFiles ?? []).map(async (f) => (f.httpUrl ? { ...f, httpUrl: await resign(blobs, f.httpUrl, validityMs) } : f)),
  );
  try {
    // PATCH replaces the whole start task: send it back as it was, with fresh URLs. Nodes already up keep theirs.
    await batch.pool.patch(pool.id, { startTask: { ...pool.startTask, resourceFiles } }, { abortSignal: batchSignal(abortSignal) });
  } catch (err) {
    throw toFailure(err, `renew start task of pool ${pool.id}`);
  }
  return true;
}
