import { BlobClient, ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { appendFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { hasWildcard, matchFiles } from './glob';
import { localBlobUrl, type EmulatedStorage } from './storage-urls';
import type { FailureInfo } from '../model/types';
import type { IdentityReference, OutputFile, ResourceFile } from '../http/wire-schemas';

/** What a node's transfers reach storage with: the emulated account, and the identities of the node's pool. */
export interface TransferContext {
  storage?: EmulatedStorage;
  /** ARM resource ids of the pool's user-assigned identities. */
  poolIdentities?: string[];
}

/**
 * How a transfer with `identityReference` authenticates. The identity must be one of the pool's (else the node
 * has no token for it); its role assignment on the account is stood in for by the service's own key of the
 * emulated account, so the URL must name that account (by its Azure host or its local endpoint).
 */
type IdentityAccess = { credential: StorageSharedKeyCredential; url: string } | { refused: string };

function identityAccess(identity: IdentityReference, mappedUrl: string, context: TransferContext): IdentityAccess {
  const wanted = identity.resourceId.toLowerCase();
  if (!(context.poolIdentities ?? []).some((id) => id.toLowerCase() === wanted)) {
    return { refused: `The identity ${identity.resourceId} in identityReference is not assigned to the pool` };
  }
  const storage = context.storage;
  const endpoint = storage?.blobEndpoint.replace(/\/$/, '');
  if (!storage?.accountKey || !endpoint || !mappedUrl.startsWith(`${endpoint}/`)) {
    return { refused: `The identity ${identity.resourceId} has no access to ${mappedUrl.replace(/\?.*$/, '')}: only the emulated storage account grants pool identities access` };
  }
  const url = new URL(mappedUrl);
  return { credential: new StorageSharedKeyCredential(storage.accountName, storage.accountKey), url: `${url.origin}${url.pathname}` };
}

/** Resource-file downloads and output-file uploads, with the failure info the service reports for them. */
export class TransferError extends Error {
  constructor(readonly failureInfo: FailureInfo) {
    super(failureInfo.message);
  }
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: number }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

function downloadFailure(status: number | undefined, source: string, detail: string): TransferError {
  const code = status === 404 ? 'BlobNotFound' : status === 403 ? 'BlobAccessDenied' : 'BlobDownloadMiscError';
  const category = status === 404 || status === 403 ? 'usererror' : 'servererror';
  return new TransferError({
    category,
    code,
    message: 'One of the specified Azure Blob(s) is not found or could not be downloaded',
    details: [
      { name: 'FilePath', value: source.replace(/\?.*$/, '') },
      { name: 'Message', value: detail },
    ],
  });
}

function safeTarget(wd: string, relative: string): string {
  const target = path.resolve(wd, relative);
  if (target !== wd && !target.startsWith(wd + path.sep)) throw downloadFailure(400, relative, 'filePath leaves the working directory');
  return target;
}

/** Downloads one blob with a credential (identityReference) into `target`. */
async function saveBlob(blob: BlobClient, target: string, fileMode: string | undefined): Promise<void> {
  mkdirSync(path.dirname(target), { recursive: true });
  try {
    await blob.downloadToFile(target);
  } catch (err) {
    throw downloadFailure(statusOf(err), blob.url, (err as Error).message);
  }
  chmodSync(target, parseInt(fileMode ?? '0770', 8));
}

async function saveFrom(url: string, target: string, fileMode: string | undefined): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw downloadFailure(undefined, url, (err as Error).message);
  }
  if (!response.ok) throw downloadFailure(response.status, url, `HTTP ${response.status}`);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, Buffer.from(await response.arrayBuffer()));
  chmodSync(target, parseInt(fileMode ?? '0770', 8));
}

/**
 * Downloads every resource file into `wd`; throws TransferError with the service's failure info. URLs of the emulated
 * storage account's Azure host are fetched from its local endpoint; `identityReference` as in identityAccess.
 */
export async function downloadResourceFiles(wd: string, files: ResourceFile[] | undefined, context: TransferContext = {}): Promise<void> {
  for (const file of files ?? []) {
    const source = file.httpUrl ?? file.storageContainerUrl;
    if (!source) throw new TransferError({ category: 'usererror', code: 'AutoStorageNotConfigured', message: 'The account has no auto-storage account' });
    const mapped = localBlobUrl(source, context.storage);
    const access = file.identityReference && identityAccess(file.identityReference, mapped, context);
    if (access && 'refused' in access) throw downloadFailure(403, source, access.refused);
    if (file.httpUrl) {
      const target = safeTarget(wd, file.filePath!);
      if (access) await saveBlob(new BlobClient(access.url, access.credential), target, file.fileMode);
      else await saveFrom(mapped, target, file.fileMode);
      continue;
    }
    const container = access ? new ContainerClient(access.url, access.credential) : new ContainerClient(mapped);
    const base = url(mapped);
    try {
      for await (const blob of container.listBlobsFlat({ prefix: file.blobPrefix })) {
        const target = safeTarget(wd, path.join(file.filePath ?? '', blob.name));
        if (access) {
          await saveBlob(container.getBlobClient(blob.name), target, file.fileMode);
          continue;
        }
        const blobUrl = `${base.origin}${base.pathname.replace(/\/$/, '')}/${blob.name.split('/').map(encodeURIComponent).join('/')}${base.search}`;
        await saveFrom(blobUrl, target, file.fileMode);
      }
    } catch (err) {
      if (err instanceof TransferError) throw err;
      throw downloadFailure(statusOf(err), source, (err as Error).message);
    }
  }
}

function url(value: string): URL {
  return new URL(value);
}

function conditionMet(condition: OutputFile['uploadOptions']['uploadCondition'], succeeded: boolean): boolean {
  return condition === 'taskcompletion' || (condition === 'tasksuccess') === succeeded;
}

/**
 * Uploads the task's output files (patterns relative to `wd`; stdout/stderr are one level up). Returns the failure
 * info of the first failed upload, after trying them all; logs go to fileuploadout.txt / fileuploaderr.txt.
 */
export async function uploadOutputFiles(
  taskDir: string,
  wd: string,
  outputs: OutputFile[] | undefined,
  succeeded: boolean,
  context: TransferContext = {},
): Promise<FailureInfo | undefined> {
  let failure: FailureInfo | undefined;
  const out = path.join(taskDir, 'fileuploadout.txt');
  const errLog = path.join(taskDir, 'fileuploaderr.txt');
  const uploads: (() => Promise<void>)[] = [];
  for (const output of outputs ?? []) {
    if (!conditionMet(output.uploadOptions.uploadCondition, succeeded)) continue;
    const destination = output.destination.container;
    const mapped = localBlobUrl(destination.containerUrl, context.storage);
    const access = destination.identityReference && identityAccess(destination.identityReference, mapped, context);
    if (access && 'refused' in access) {
      appendFileSync(errLog, `failed to upload ${output.filePattern}: FileUploadAuthenticationFailed (${access.refused})\n`);
      failure ??= {
        category: 'usererror',
        code: 'FileUploadAuthenticationFailed',
        message: 'One of the files specified for upload could not be uploaded',
        details: [{ name: 'FilePattern', value: output.filePattern }, { name: 'Message', value: access.refused }],
      };
      continue;
    }
    const container = access ? new ContainerClient(access.url, access.credential) : new ContainerClient(mapped);
    const wildcard = hasWildcard(output.filePattern);
    const headers = Object.fromEntries((destination.uploadHeaders ?? []).map((h) => [h.name.toLowerCase(), h.value ?? '']));
    for (const match of await matchFiles(wd, output.filePattern)) {
      if (!(await stat(match.file).then(() => true, () => false))) continue;
      const name = wildcard ? [destination.path?.replace(/\/$/, ''), match.relative].filter(Boolean).join('/') : (destination.path ?? match.relative);
      uploads.push(async () => {
        try {
          await container.getBlockBlobClient(name).uploadFile(match.file, {
            blobHTTPHeaders: {
              blobContentType: headers['content-type'],
              blobContentEncoding: headers['content-encoding'],
              blobCacheControl: headers['cache-control'],
            },
          });
          appendFileSync(out, `uploaded ${path.relative(taskDir, match.file)} as ${name}\n`);
        } catch (err) {
          const status = statusOf(err);
          const code = status === 404 ? 'FileUploadContainerNotFound' : status === 403 ? 'FileUploadAuthenticationFailed' : 'FileUploadMiscError';
          appendFileSync(errLog, `failed to upload ${path.relative(taskDir, match.file)} as ${name}: ${code} (HTTP ${status ?? '-'})\n`);
          failure ??= {
            category: 'usererror',
            code,
            message: 'One of the files specified for upload could not be uploaded',
            details: [{ name: 'FilePath', value: path.relative(taskDir, match.file) }],
          };
        }
      });
    }
  }
  // A LAD leaves 69 files: one at a time, the uploads took longer than the task itself (as on the real node
  // agent, several run at once).
  await runWithConcurrency(uploads, UPLOAD_CONCURRENCY);
  return failure;
}

/** Uploads in flight at once per task. */
const UPLOAD_CONCURRENCY = 8;

async function runWithConcurrency(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, lane));
}
