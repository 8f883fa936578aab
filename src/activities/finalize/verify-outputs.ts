/**
 * Finalize step 1, verify outputs: every LAD of the run gets its manifest entry (status, attempts from its record,
 * the files in its folder with sizes and MD5, whether they meet the output contract), written page by page to the
 * workspace. Resumes at the first page not written.
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import { checkLadOutputs, expectedLadFiles } from '../../outputs/contract';
import type { LadResult } from '../../schemas/lad';
import { unpackLads } from '../../schemas/packed-lads';
import type { LadStatus } from '../../schemas/progress';
import type { PackedLads } from '../../schemas/run-state';
import { readLadRecords } from '../lad-records';
import type { StepProgress } from './progress';
import { entriesBlobOf, LADS_PER_PAGE, ladFoldersOf, writeJson, type ManifestEntry, type StoredFile } from './workspace';

export type ExpectedFiles = 'contract' | string[];

/** The expected file names of a LAD. */
export const expectedFilesOf = (lad: string, expected: ExpectedFiles): string[] =>
  expected === 'contract' ? expectedLadFiles(lad) : expected.map((name) => name.replaceAll('{lad}', lad));

export interface VerifyRunOutputsRequest {
  runId: string;
  container: string;
  /** Every LAD's status, packed (since 0.2); full results are read from the container's LAD records. */
  packedLads?: PackedLads;
  /** The run input's LAD list, which packed statuses follow unless they carry their own order. */
  inputLads?: string[];
  /** Before 0.2 (a finalize scheduled by an older worker): every LAD's status and every finished LAD's result. */
  lads?: { lad: string; status: LadStatus; note?: string }[];
  results?: LadResult[];
  expectedFiles: ExpectedFiles;
}

export interface VerifiedRun {
  pages: number;
  lads: number;
  succeeded: number;
  /** Succeeded LADs whose files do not meet the contract. */
  incomplete: number;
}

interface Progress {
  pages: number;
  succeeded: number;
  incomplete: number;
}

interface LadStatusNote {
  lad: string;
  status: LadStatus;
  note?: string;
  /** The result the parent still holds (runs continued from before the LAD records). */
  result?: LadResult;
  error?: string;
}

export async function verifyRunOutputs(blobs: BlobServiceClient, req: VerifyRunOutputsRequest, progress: StepProgress<Progress>): Promise<VerifiedRun> {
  const container = blobs.getContainerClient(req.container);
  const lads = statusesOf(req);
  const pages = Math.ceil(lads.length / LADS_PER_PAGE);
  let done: Progress = progress.resumed ?? { pages: 0, succeeded: 0, incomplete: 0 };
  // Listed once for all the pages left (a resumed step lists again: a few calls per 5,000 files).
  const left = lads.slice(done.pages * LADS_PER_PAGE).filter(finished);
  const folders = await ladFoldersOf(container, left.map((l) => l.lad), progress.alive);
  for (let page = done.pages; page < pages; page++) {
    const entries = await entriesOf(blobs, req, lads.slice(page * LADS_PER_PAGE, (page + 1) * LADS_PER_PAGE), folders, progress.alive);
    await writeJson(container, entriesBlobOf(req.runId, page), { lads: entries });
    const succeeded = entries.filter((e) => e.status === 'succeeded');
    done = { pages: page + 1, succeeded: done.succeeded + succeeded.length, incomplete: done.incomplete + succeeded.filter((e) => !e.outputsOk).length };
    progress.save(done);
  }
  return { pages, lads: lads.length, succeeded: done.succeeded, incomplete: done.incomplete };
}

/** A LAD that ended, with a result (its record) to read and a folder to list. */
const finished = (l: LadStatusNote): boolean => l.status === 'succeeded' || l.status === 'failed';

/** Every LAD of the run with its status and note: from the packed statuses (since 0.2), or as an older worker passed them. */
function statusesOf(req: VerifyRunOutputsRequest): LadStatusNote[] {
  if (!req.packedLads) {
    const results = new Map((req.results ?? []).map((r) => [r.lad, r]));
    return (req.lads ?? []).map((l) => ({ ...l, ...(results.has(l.lad) && { result: results.get(l.lad) }) }));
  }
  const { ladOrder, lads } = unpackLads(req.packedLads, req.inputLads);
  return ladOrder.map((lad) => {
    const rec = lads[lad];
    return { lad, status: rec.status, ...(rec.note !== undefined && { note: rec.note }), ...(rec.result && { result: rec.result }), ...(rec.error !== undefined && { error: rec.error }) };
  });
}

/** The entries of one page: records read for its finished LADs, the listed folders of those with a result. */
async function entriesOf(blobs: BlobServiceClient, req: VerifyRunOutputsRequest, lads: LadStatusNote[], folders: ReadonlyMap<string, StoredFile[]>, alive: () => void): Promise<ManifestEntry[]> {
  // Packed runs read full results from the records; a run of an older worker passed them in.
  const records = req.packedLads ? await readLadRecords(blobs, req.container, lads.filter((l) => finished(l) && !l.result).map((l) => l.lad), alive) : new Map<string, LadResult>();
  return lads.map((l) => {
    // A LAD whose child failed as a workflow has no record: its error is all there is.
    const result = l.result ?? records.get(l.lad) ?? (req.packedLads && l.status === 'failed' ? { lad: l.lad, status: 'failed' as const, attempts: [], error: l.error ?? 'failed; no result was recorded' } : undefined);
    return manifestEntry(l.lad, l.status, result, result ? (folders.get(l.lad) ?? []) : [], req.expectedFiles, l.note);
  });
}

function manifestEntry(lad: string, status: LadStatus, result: LadResult | undefined, files: StoredFile[], expected: ExpectedFiles, note?: string): ManifestEntry {
  const attempts = result?.attempts ?? [];
  const last = attempts.at(-1);
  const check = checkLadOutputs(lad, files, expectedFilesOf(lad, expected));
  return {
    lad,
    status,
    attempts,
    taskIds: attempts.map((a) => a.taskId),
    ...(last?.nodeId && { nodeId: last.nodeId }),
    ...(attempts[0]?.startTime && { startTime: attempts[0].startTime }),
    ...(last?.endTime && { endTime: last.endTime }),
    ...(result?.durationMs !== undefined && { durationMs: result.durationMs }),
    ...(last?.exitCode !== undefined && { exitCode: last.exitCode }),
    files: files.map((f) => ({ name: f.name, size: f.size, ...(f.md5 && { md5: f.md5 }) })).sort((a, b) => a.name.localeCompare(b.name)),
    outputsOk: status === 'succeeded' && check.ok,
    ...((result?.error ?? note) && { error: result?.error ?? note }),
  };
}
