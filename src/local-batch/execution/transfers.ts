import { ContainerClient } from '@azure/storage-blob';
import { appendFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { hasWildcard, matchFiles } from './glob';
import { localBlobUrl, type EmulatedStorage } from './storage-urls';
import type { FailureInfo } from '../model/types';
import type { OutputFile, ResourceFile } from '../http/wire-schemas';

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
 * storage account's Azure host are fetched from its local endpoint.
 */
export async function downloadResourceFiles(wd: string, files: ResourceFile[] | undefined, storage?: EmulatedStorage): Promise<void> {
  for (const file of files ?? []) {
    if (file.httpUrl) {
      await saveFrom(localBlobUrl(file.httpUrl, storage), safeTarget(wd, file.filePath!), file.fileMode);
    } else if (file.storageContainerUrl) {
      const containerUrl = localBlobUrl(file.storageContainerUrl, storage);
      const container = new ContainerClient(containerUrl);
      const base = url(containerUrl);
      try {
        for await (const blob of container.listBlobsFlat({ prefix: file.blobPrefix })) {
          const target = safeTarget(wd, path.join(file.filePath ?? '', blob.name));
          const blobUrl = `${base.origin}${base.pathname.replace(/\/$/, '')}/${blob.name.split('/').map(encodeURIComponent).join('/')}${base.search}`;
          await saveFrom(blobUrl, target, file.fileMode);
        }
      } catch (err) {
        if (err instanceof TransferError) throw err;
        throw downloadFailure(statusOf(err), file.storageContainerUrl, (err as Error).message);
      }
    } else {
      throw new TransferError({ category: 'usererror', code: 'AutoStorageNotConfigured', message: 'The account has no auto-storage account' });
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
  storage?: EmulatedStorage,
): Promise<FailureInfo | undefined> {
  let failure: FailureInfo | undefined;
  const out = path.join(taskDir, 'fileuploadout.txt');
  const errLog = path.join(taskDir, 'fileuploaderr.txt');
  const uploads: (() => Promise<void>)[] = [];
  for (const output of outputs ?? []) {
    if (!conditionMet(output.uploadOptions.uploadCondition, succeeded)) continue;
    const destination = output.destination.container;
    const container = new ContainerClient(localBlobUrl(destination.containerUrl, storage));
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
