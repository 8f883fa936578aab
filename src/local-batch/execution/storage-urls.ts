/**
 * The storage account the stack emulates (Azurite). Clients written for Azure name its blobs
 * `https://<account>.blob.core.windows.net/<container>/<blob>?<sas>`; the service fetches them from the local endpoint.
 */
export interface EmulatedStorage {
  /** Azurite's account name (the stack's `spcdev`). */
  accountName: string;
  /** Its local blob endpoint, path-style, e.g. `http://127.0.0.1:10000/spcdev`. */
  blobEndpoint: string;
  /** Its shared key: the service's own storage credential, used for transfers by managed identity (README). */
  accountKey?: string;
}

const AZURE_BLOB_SUFFIX = '.blob.core.windows.net';

/**
 * The local URL of a blob or container URL of the emulated account (query, i.e. the SAS, kept); any other URL as it
 * is. Hosts compare case-insensitively, as DNS does.
 */
export function localBlobUrl(url: string, storage: EmulatedStorage | undefined): string {
  if (!storage) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.protocol !== 'https:' || parsed.port || parsed.hostname.toLowerCase() !== `${storage.accountName.toLowerCase()}${AZURE_BLOB_SUFFIX}`) return url;
  return `${storage.blobEndpoint.replace(/\/$/, '')}${parsed.pathname === '/' ? '' : parsed.pathname}${parsed.search}`;
}
