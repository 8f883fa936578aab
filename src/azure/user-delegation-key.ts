/**
 * User delegation keys: what signs SAS URLs when the worker holds no account key (Entra ID). One key per blob
 * service client, fetched with the client's token (`getUserDelegationKey`, which needs a role with
 * `generateUserDelegationKey`, e.g. Storage Blob Delegator or Storage Blob Data Contributor) and reused until it would
 * cut a SAS short.
 */
import type { BlobServiceClient, UserDelegationKey } from '@azure/storage-blob';

/** Storage grants a user delegation key for at most 7 days from the request. */
export const MAX_KEY_VALIDITY_MS = 7 * 86_400_000;
/**
 * A cached key is reused while it covers the SAS asked for within this margin (the SAS is then cut to the key's
 * expiry). So 7-day start-task SAS URLs cost one key request an hour, not one per URL.
 */
const REUSE_MARGIN_MS = 3_600_000;
/** Keys and SAS start this far in the past, for clocks a little behind Storage's. */
export const CLOCK_SKEW_MS = 5 * 60_000;

interface CachedKey {
  key: UserDelegationKey;
  expiresOn: number;
}

interface KeyState {
  current?: CachedKey;
  refreshing?: Promise<CachedKey>;
}

const states = new WeakMap<BlobServiceClient, KeyState>();

/**
 * A user delegation key of `blobs`: the cached one while it covers `wantedExpiry` (within an hour), else a fresh
 * one valid 7 days. Concurrent callers share one request; a failed request is not cached.
 * @returns the key and the expiry a SAS signed with it may have (at most the key's)
 */
export async function userDelegationKey(blobs: BlobServiceClient, wantedExpiry: Date): Promise<{ key: UserDelegationKey; sasExpiry: Date }> {
  let state = states.get(blobs);
  if (!state) states.set(blobs, (state = {}));
  let current = state.current;
  if (!current || current.expiresOn < wantedExpiry.getTime() - REUSE_MARGIN_MS) {
    const s = state;
    s.refreshing ??= fetchKey(blobs)
      .then((fresh) => (s.current = fresh))
      .finally(() => (s.refreshing = undefined));
    current = await s.refreshing;
  }
  return { key: current.key, sasExpiry: new Date(Math.min(wantedExpiry.getTime(), current.expiresOn)) };
}

async function fetchKey(blobs: BlobServiceClient): Promise<CachedKey> {
  const now = Date.now();
  const expiresOn = new Date(now + MAX_KEY_VALIDITY_MS - CLOCK_SKEW_MS);
  const key = await blobs.getUserDelegationKey(new Date(now - CLOCK_SKEW_MS), expiresOn, { abortSignal: AbortSignal.timeout(60_000) });
  return { key, expiresOn: expiresOn.getTime() };
}
