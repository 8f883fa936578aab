/**
 * SAS URLs, minted inside activities only and handed straight to Batch (task and start-task definitions); they
 * never go back to a workflow. Least privilege: read on one input blob, create+write on the run's container.
 * Signed with the account key when the worker has one, else with a user delegation key (Entra ID), which Storage
 * ties to the worker's identity and its roles.
 */
import { BlobSASPermissions, ContainerSASPermissions, StorageSharedKeyCredential, type BlobServiceClient, type UserDelegationKey } from '@azure/storage-blob';
import { CLOCK_SKEW_MS, userDelegationKey } from '../azure/user-delegation-key';

/** Longest validity we grant: a queued task may start days after it was submitted. */
export const MAX_SAS_VALIDITY_MS = 7 * 86_400_000;

const expiry = (validityMs: number) => new Date(Date.now() + Math.min(validityMs, MAX_SAS_VALIDITY_MS));

/**
 * Service version of user delegation SAS URLs. @azure/storage-blob 12.32 signs 2026-04-06 by default, whose
 * string-to-sign Azurite 3.35 does not know yet (it checks up to the 2025-07-05 layout: every such SAS was refused
 * with 403 AuthorizationFailure); Storage accepts older versions, and 2025-11-05 has everything we ask of a SAS.
 */
export const USER_DELEGATION_SAS_VERSION = '2025-11-05';

/** Whether this client signs SAS URLs with an account key (else: with a user delegation key). */
const hasAccountKey = (blobs: BlobServiceClient): boolean => blobs.credential instanceof StorageSharedKeyCredential;

/** A read-only URL of one blob. */
export function readUrl(blobs: BlobServiceClient, container: string, blob: string, validityMs: number): Promise<string> {
  return signedUrl(blobs, blobs.getContainerClient(container).getBlobClient(blob), { permissions: BlobSASPermissions.parse('r'), ...validity(validityMs) });
}

/** A create+write URL of a container (Batch output uploads). */
export function writeUrl(blobs: BlobServiceClient, container: string, validityMs: number): Promise<string> {
  return signedUrl(blobs, blobs.getContainerClient(container), { permissions: ContainerSASPermissions.parse('cw'), ...validity(validityMs) });
}

const validity = (validityMs: number) => ({ startsOn: new Date(Date.now() - CLOCK_SKEW_MS), expiresOn: expiry(validityMs) });

/** What signs SAS URLs of one blob or container (both storage clients do). */
interface SasSigner<O> {
  generateSasUrl(options: O): Promise<string>;
  generateUserDelegationSasUrl(options: O, key: UserDelegationKey): Promise<string>;
}

/** Signs with the account key when the client has one, else with the (cached) user delegation key. */
async function signedUrl<O extends { expiresOn?: Date; version?: string }>(blobs: BlobServiceClient, client: SasSigner<O>, options: O & { expiresOn: Date }): Promise<string> {
  if (hasAccountKey(blobs)) return client.generateSasUrl(options);
  const { key, sasExpiry } = await userDelegationKey(blobs, options.expiresOn);
  return client.generateUserDelegationSasUrl({ ...options, expiresOn: sasExpiry, version: USER_DELEGATION_SAS_VERSION }, key);
}

/**
 * Where a task uploads its outputs: the container with a create+write SAS, or, when the pool has an identity for it,
 * the bare container URL and that identity (`identityReference`), so no write SAS sits in the task definition.
 */
export async function outputContainer(
  blobs: BlobServiceClient,
  container: string,
  validityMs: number,
  identity: string | undefined,
): Promise<{ containerUrl: string; identityReference?: { resourceId: string } }> {
  if (identity) return { containerUrl: blobs.getContainerClient(container).url, identityReference: { resourceId: identity } };
  return { containerUrl: await writeUrl(blobs, container, validityMs) };
}
