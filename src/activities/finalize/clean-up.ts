/**
 * Finalize's last step, clean-up: the run's finalize workspace is deleted (the manifest now holds everything), then
 * the job, pool and container are released per the policy (../cleanup.ts). Both tolerate "already gone", so a
 * retry after a partial clean-up finishes it.
 */
import type { BatchServiceClient } from '@azure/batch';
import type { BlobServiceClient } from '@azure/storage-blob';
import { releaseRun, type ReleaseRunRequest } from '../cleanup';
import { deleteWorkspace } from './workspace';

export async function cleanUpRun(batch: BatchServiceClient, blobs: BlobServiceClient, req: ReleaseRunRequest): Promise<string[]> {
  await deleteWorkspace(blobs.getContainerClient(req.container), req.runId);
  return releaseRun(batch, blobs, req);
}
