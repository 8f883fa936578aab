/**
 * SAS URLs, minted inside activities only and handed straight to Batch (task and start-task definitions); they
 * never go back to a workflow. Least privilege: read on one input blob, create+write on the run's container.
 */
import { BlobSASPermissions, ContainerSASPermissions, type BlobServiceClient } from '@azure/storage-blob';

/** Longest validity we grant: a queued task may start days after it was submitted. */
export const MAX_SAS_VALIDITY_MS = 7 * 86_400_000;

const expiry = (validityMs: number) => new Date(Date.now() + Math.min(validityMs, MAX_SAS_VALIDITY_MS));

/** A read-only URL of one blob. */
export function readUrl(blobs: BlobServiceClient, container: string, blob: string, validityMs: number): Promise<string> {
  return blobs.getContainerClient(container).getBlobClient(blob).generateSasUrl({
    permissions: BlobSASPermissions.parse('r'),
    startsOn: new Date(Date.now() - 5 * 60_000),
    expiresOn: expiry(validityMs),
  });
}

/** A create+write URL of a container (Batch output uploads). */
export function writeUrl(blobs: BlobServiceClient, container: string, validityMs: number): Promise<string> {
  return blobs.getContainerClient(container).generateSasUrl({
    permissions: ContainerSASPermissions.parse('cw'),
    startsOn: new Date(Date.now() - 5 * 60_000),
    expiresOn: expiry(validityMs),
  });
}
