import { cancellationSignal } from '@temporalio/activity';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { SmokeInput } from '../schemas/smoke';

/**
 * The first end-to-end path: proves a worker reaches storage. Writing the same blob twice is harmless,
 * so the activity is idempotent.
 */
export function createSmokeActivities(blobs: BlobServiceClient) {
  return {
    async writeAndReadBlob({ container, blobName, text }: SmokeInput): Promise<string> {
      const abortSignal = cancellationSignal();
      const containerClient = blobs.getContainerClient(container);
      await containerClient.createIfNotExists({ abortSignal });
      const blob = containerClient.getBlockBlobClient(blobName);
      await blob.upload(text, Buffer.byteLength(text), { abortSignal });
      const body = await blob.downloadToBuffer(0, undefined, { abortSignal });
      return body.toString('utf8');
    },
  };
}
