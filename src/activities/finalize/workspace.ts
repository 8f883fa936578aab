/**
 * The finalize workspace: what one step hands to the next that grows with the LAD count (per-LAD manifest entries
 * with their file lists, the per-LAD diff, the final check's problems) stays in the run's container under
 * `_spc/finalize/<runId>/`, in pages of {@link LADS_PER_PAGE} LADs, so activity inputs and results (and the
 * workflow's history) carry only the run's names and page counts. Per run id, because a redrive finalizes into
 * its original's container. The clean-up step deletes it.
 */
import { Context } from '@temporalio/activity';
import type { ContainerClient } from '@azure/storage-blob';
import type { Manifest } from '../../schemas/manifest';
import type { FinalCheckResult, ListedFile } from '../../outputs/contract';
import { runLimited } from '../cleanup';
import { callSignal } from '../clients';
import { mapped, statusOf, toFailure } from '../errors';
import type { RunDiff } from '../lineage';
import { LAD_CODE_REGEX } from '../../schemas/patterns';

/** LADs per page: a page of entries is a few MB at 69 files a LAD, read and written in one call. */
export const LADS_PER_PAGE = 500;

/** One LAD's manifest entry, as verify writes it. */
export type ManifestEntry = Manifest['lads'][number];

/** What every step after verify is told: the run, its container and how many pages of entries verify wrote. */
export interface FinalizeRef {
  runId: string;
  container: string;
  pages: number;
}

/** A blob of the workspace, listed with its size and (base64) MD5. */
export interface StoredFile extends ListedFile {
  md5?: string;
}

const root = (runId: string) => `_spc/finalize/${runId}/`;
/** Page `page` of the manifest entries (LADs in run order). */
export const entriesBlobOf = (runId: string, page: number) => `${root(runId)}entries/${String(page).padStart(5, '0')}.json`;
/** Page `page` of the per-LAD diff against the previous run. */
export const diffBlobOf = (runId: string, page: number) => `${root(runId)}diff/${String(page).padStart(5, '0')}.json`;
/** The final check over the run's (or, for a redrive, its original's) LADs. */
export const finalCheckBlobOf = (runId: string) => `${root(runId)}final-check.json`;
/** The 2020 merge's record and its final check. */
export const merge2020BlobOf = (runId: string) => `${root(runId)}merge-2020.json`;
/** What the previous run of the schedule ran (from its manifest), for the diff's `ran`. */
export const previousRanBlobOf = (runId: string) => `${root(runId)}previous-ran.json`;

/** Contents of the workspace blobs. */
export interface EntriesPage {
  lads: ManifestEntry[];
}
export interface DiffPage {
  lads: RunDiff['lads'];
}
export interface Merge2020Record {
  merge: NonNullable<Manifest['merge2020']>;
  check: FinalCheckResult;
}

/** Writes a workspace blob (an overwrite: a retried step writes the same). */
export async function writeJson(container: ContainerClient, blob: string, value: unknown): Promise<void> {
  const text = JSON.stringify(value);
  await mapped(`write ${blob}`, () =>
    container.getBlockBlobClient(blob).upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'application/json' }, abortSignal: callSignal(Context.current().cancellationSignal, 600_000) }),
  );
}

/** Reads a workspace blob an earlier step wrote. */
export async function readJson<T>(container: ContainerClient, blob: string): Promise<T> {
  const body = await mapped(`read ${blob}`, () => container.getBlobClient(blob).downloadToBuffer(0, undefined, { abortSignal: callSignal(Context.current().cancellationSignal, 600_000) }));
  return JSON.parse(body.toString('utf8')) as T;
}

/** Reads a blob an earlier step (or an earlier version's step) may not have written; undefined when absent. */
export async function readJsonIfAny(container: ContainerClient, blob: string): Promise<unknown> {
  try {
    const body = await container.getBlobClient(blob).downloadToBuffer(0, undefined, { abortSignal: callSignal(Context.current().cancellationSignal, 600_000) });
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw toFailure(err, `read ${blob}`);
  }
}

/** Page `page` of the entries. */
export const readEntries = (container: ContainerClient, runId: string, page: number): Promise<EntriesPage> => readJson<EntriesPage>(container, entriesBlobOf(runId, page));

/** Every entry of the run, page by page, in run order. */
export async function* allEntries(container: ContainerClient, ref: FinalizeRef): AsyncGenerator<ManifestEntry> {
  for (let page = 0; page < ref.pages; page++) yield* (await readEntries(container, ref.runId, page)).lads;
}

/**
 * Lists blobs under a prefix, names relative to it, with sizes and MD5 (base64, as storage reports it). Each page of
 * up to 5,000 blobs gets its own time limit, so a listing of a whole large container is not cut short.
 * @param alive called after each page (a long listing keeps its activity's heartbeat)
 */
export async function listUnder(container: ContainerClient, prefix: string, alive: () => void = () => undefined): Promise<StoredFile[]> {
  const files: StoredFile[] = [];
  let continuationToken: string | undefined;
  try {
    do {
      const pages = container.listBlobsFlat({ prefix, abortSignal: callSignal(Context.current().cancellationSignal, 120_000) }).byPage({ continuationToken });
      const next = await pages.next();
      const page = next.done ? undefined : next.value;
      for (const blob of page?.segment.blobItems ?? []) {
        const md5 = blob.properties.contentMD5 ? Buffer.from(blob.properties.contentMD5).toString('base64') : undefined;
        files.push({ name: blob.name.slice(prefix.length), size: blob.properties.contentLength ?? 0, ...(md5 && { md5 }) });
      }
      alive();
      continuationToken = page?.continuationToken || undefined;
    } while (continuationToken);
  } catch (err) {
    throw toFailure(err, `list ${prefix || 'the container'}`);
  }
  return files;
}

/**
 * Every LAD folder's files (named relative to it, with sizes and MD5), from one flat listing of the container: a
 * few list calls per 5,000 files, where listing each LAD's folder costs a call per LAD (and, on Azurite, a scan
 * of the whole account per call). Folders whose name is not a LAD code (`inputs/`, `_spc/`, the region folders)
 * are skipped.
 */
export async function listLadFolders(container: ContainerClient, alive: () => void = () => undefined): Promise<Map<string, StoredFile[]>> {
  const byLad = new Map<string, StoredFile[]>();
  for (const file of await listUnder(container, '', alive)) {
    const slash = file.name.indexOf('/');
    if (slash < 0) continue;
    const lad = file.name.slice(0, slash);
    if (!LAD_CODE_REGEX.test(lad)) continue;
    const files = byLad.get(lad) ?? [];
    files.push({ ...file, name: file.name.slice(slash + 1) });
    byLad.set(lad, files);
  }
  return byLad;
}

/** Up to this many LADs, their folders are listed one by one (a redrive of a few LADs in a large run's container). */
const FOLDER_BY_FOLDER_MAX = 50;
/** Folders listed at once, one by one. */
const FOLDERS_AT_ONCE = 16;

/** The folders of `lads`: listed one by one when they are few, else from one listing of the container. */
export async function ladFoldersOf(container: ContainerClient, lads: readonly string[], alive: () => void = () => undefined): Promise<Map<string, StoredFile[]>> {
  if (lads.length > FOLDER_BY_FOLDER_MAX) return listLadFolders(container, alive);
  const byLad = new Map<string, StoredFile[]>();
  await runLimited(lads, FOLDERS_AT_ONCE, async (lad) => {
    byLad.set(lad, await listUnder(container, `${lad}/`));
  });
  return byLad;
}

/** Deletes the run's workspace; a container already gone is fine. */
export async function deleteWorkspace(container: ContainerClient, runId: string): Promise<number> {
  let deleted = 0;
  try {
    for await (const blob of container.listBlobsFlat({ prefix: root(runId), abortSignal: callSignal(Context.current().cancellationSignal, 300_000) })) {
      await container.getBlobClient(blob.name).deleteIfExists({ abortSignal: callSignal(Context.current().cancellationSignal) });
      deleted++;
    }
  } catch (err) {
    if (statusOf(err) !== 404) throw toFailure(err, `delete ${root(runId)}`);
  }
  return deleted;
}
