/**
 * Outputs in storage: verify one LAD's files against the expectations (read only), and finalize a run: the
 * manifest, the collation of `ass_*` files into `<region>/<year>/`, the final check, and cleanup per policy.
 */
import { activityInfo, Context, heartbeat, log } from '@temporalio/activity';
import type { BatchServiceClient } from '@azure/batch';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { checkLadOutputs, collationTarget, expectedLadFiles, finalCheck, parseOutputFileName, type ListedFile } from '../outputs/contract';
import type { LadResult } from '../schemas/lad';
import type { Manifest } from '../schemas/manifest';
import { MANIFEST_BLOB, poolIdOf } from '../schemas/names';
import type { Lineage } from '../schemas/lineage';
import { unpackLads } from '../schemas/packed-lads';
import type { LadStatus } from '../schemas/progress';
import type { PackedLads } from '../schemas/run-state';
import type { NormalisedRunInput } from '../schemas/run-input';
import { callSignal } from './clients';
import { mapped, statusOf, toFailure } from './errors';
import { diffAgainst, lineageOf, readManifestIfAny, writeLineagePointer, type RunDiff } from './lineage';
import { releaseRun, runLimited, type CleanupTarget } from './cleanup';
import { merge2020 } from './merge-2020';
import { mergeRedrive, readManifestForUpdate } from './redrive-manifest';
import { readLadRecords } from './lad-records';
import { readUrl } from './sas';

export type ExpectedFiles = 'contract' | string[];

/** Most changed LADs the summary's diff names. */
const MAX_DIFF_LADS = 100;

/** The expected file names of a LAD. */
export const expectedFilesOf = (lad: string, expected: ExpectedFiles): string[] =>
  expected === 'contract' ? expectedLadFiles(lad) : expected.map((name) => name.replaceAll('{lad}', lad));

interface StoredFile extends ListedFile {
  md5?: string;
}

/** Lists blobs under a prefix, names relative to it, with sizes and MD5 (base64, as storage reports it). */
async function listUnder(container: ContainerClient, prefix: string): Promise<StoredFile[]> {
  const files: StoredFile[] = [];
  for await (const blob of container.listBlobsFlat({ prefix, abortSignal: callSignal(Context.current().cancellationSignal, 300_000) })) {
    const md5 = blob.properties.contentMD5 ? Buffer.from(blob.properties.contentMD5).toString('base64') : undefined;
    files.push({ name: blob.name.slice(prefix.length), size: blob.properties.contentLength ?? 0, ...(md5 && { md5 }) });
  }
  return files;
}

export interface FinalizeRunRequest {
  runId: string;
  container: string;
  jobId: string;
  poolId: string;
  /** Every LAD's status, packed (since 0.2); full results are read from the container's LAD records. */
  packedLads?: PackedLads;
  /** Before 0.2 (a finalize scheduled by an older worker): every LAD's status and every finished LAD's result. */
  lads?: { lad: string; status: LadStatus; note?: string }[];
  results?: LadResult[];
  expectedFiles: ExpectedFiles;
  cleanup: CleanupTarget[];
  /** True when the run created its pool (only then may cleanup delete it). @default pool id is the run's own */
  poolCreated?: boolean;
  /** The workflow's first run id; cleanup touches only jobs and pools tagged with it. */
  runChain?: string;
  /** The user scaled a reused pool during the run: cleanup leaves it at their size. */
  userScaledPool?: boolean;
  /** The run's normalised input (hashed for the lineage; it holds no secrets). */
  input: NormalisedRunInput;
  /** The Temporal Schedule that started the run (`TemporalScheduledById`), if any. */
  scheduleId?: string;
}
export interface FinalizeRunResult {
  manifest?: string;
  finalCheck: { ok: boolean; problems: number };
  collated: number;
  cleanedUp: string[];
  lineage: Lineage;
  diff?: RunDiff;
}

/** Heartbeat details of finalize: its result once the manifest is written (a retry then only cleans up). */
interface FinalizeProgress {
  result?: Omit<FinalizeRunResult, 'cleanedUp'>;
}

export function createOutputActivities({ batch, blobs }: { batch: BatchServiceClient; blobs: BlobServiceClient }) {
  return {
    /** Compares a LAD's folder with its expected files; `problem` is a one-line description when not ok. */
    async verifyLadOutputs(req: { container: string; lad: string; expectedFiles: ExpectedFiles }) {
      const listed = await mapped(`list ${req.lad}/`, () => listUnder(blobs.getContainerClient(req.container), `${req.lad}/`));
      const check = checkLadOutputs(req.lad, listed, expectedFilesOf(req.lad, req.expectedFiles));
      const parts = [
        check.missing.length && `${check.missing.length} missing (e.g. ${check.missing[0]})`,
        check.empty.length && `${check.empty.length} empty (e.g. ${check.empty[0]})`,
        check.unexpected.length && `${check.unexpected.length} unexpected (e.g. ${check.unexpected[0]})`,
      ].filter(Boolean);
      return { ok: check.ok, count: listed.length, ...(parts.length > 0 && { problem: `outputs of ${req.lad}: ${parts.join(', ')}` }) };
    },

    /**
     * Manifest, collation, final check, cleanup. Safe to run again: copies are overwrites, the manifest is written
     * once (conditionally), and a retry after the manifest resumes from its heartbeat at the cleanup, so a container
     * the first try deleted is not looked for again.
     */
    async finalizeRun(req: FinalizeRunRequest): Promise<FinalizeRunResult> {
      const container = blobs.getContainerClient(req.container);
      const release = () =>
        releaseRun(batch, blobs, {
          runId: req.runId,
          jobId: req.jobId,
          poolId: req.poolId,
          container: req.container,
          poolCreated: req.poolCreated ?? req.poolId === poolIdOf(req.runId),
          cleanup: req.cleanup,
          ...(req.runChain && { runChain: req.runChain }),
          ...(req.userScaledPool && { userScaledPool: true }),
          keepContainer: Boolean(req.input.redrive),
        });
      const resumed = activityInfo().heartbeatDetails as FinalizeProgress | undefined;
      if (resumed?.result) return { ...resumed.result, cleanedUp: await release() };
      if (!(await mapped('container exists', () => container.exists({ abortSignal: callSignal(Context.current().cancellationSignal) })))) {
        // Only an earlier try's cleanup deletes the run's container: everything before it was done.
        log.warn('finalize found the container gone (an earlier try cleaned up); releasing only', { runId: req.runId });
        return { finalCheck: { ok: false, problems: 0 }, collated: 0, cleanedUp: await release(), lineage: (await lineageOf(blobs, req)).lineage };
      }
      const { lads, results } = await ladsOf(blobs, req);
      const { lineage, previous } = await lineageOf(blobs, req);
      const all = await mapped('list outputs', () => listUnder(container, ''));
      heartbeat();
      const byLad = new Map<string, StoredFile[]>();
      for (const file of all) {
        const slash = file.name.indexOf('/');
        if (slash <= 0) continue;
        const lad = file.name.slice(0, slash);
        if (!results.has(lad)) continue;
        byLad.set(lad, [...(byLad.get(lad) ?? []), { ...file, name: file.name.slice(slash + 1) }]);
      }

      const copies: { from: string; to: string }[] = [];
      for (const { lad, status } of lads) {
        if (status !== 'succeeded') continue;
        for (const file of byLad.get(lad) ?? []) {
          const to = collationTarget(lad, file.name);
          if (to) copies.push({ from: `${lad}/${file.name}`, to });
        }
      }
      await runLimited(copies, 16, async ({ from, to }, i) => {
        const source = await readUrl(blobs, req.container, from, 3_600_000);
        await mapped(`collate ${from}`, () => container.getBlobClient(to).syncCopyFromURL(source, { abortSignal: callSignal(Context.current().cancellationSignal) }));
        if (i % 100 === 0) heartbeat();
      });

      const collated = new Map<string, ListedFile[]>();
      for (const file of all.filter((f) => /^(England|Wales|Scotland|NorthernIreland)\//.test(f.name))) addCollated(collated, file);
      for (const { to } of copies) {
        const size = byLad.get(parseOutputFileName(to)?.lad ?? '')?.find((f) => to.endsWith(`/${f.name}`))?.size ?? 0;
        addCollated(collated, { name: to, size });
      }
      // A redrive updates its original's manifest, and the final check covers all of the original's LADs.
      const original = req.input.redrive ? await readManifestForUpdate(container) : undefined;
      const check = finalCheck(original ? original.manifest.lads.map((l) => l.lad) : lads.map((l) => l.lad), collated);

      const entries = lads.map(({ lad, status, note }) => manifestEntry(lad, status, results.get(lad), byLad.get(lad) ?? [], req.expectedFiles, note));
      const previousManifest = previous && (await mapped('read previous manifest', () => readManifestIfAny(blobs, previous.container)));
      const diff = previousManifest ? await mapped('diff with previous run', () => diffAgainst(blobs, previousManifest, { container: req.container, lads: entries })) : undefined;
      const own: Manifest = {
        runId: req.runId,
        jobId: req.jobId,
        poolId: req.poolId,
        container: req.container,
        writtenAt: new Date().toISOString(),
        lads: entries,
        collated: copies.length,
        lineage,
        ...(diff && { diff }),
        finalCheck: check,
      };
      const manifest = original ? mergeRedrive(original.manifest, { runId: req.runId, at: own.writtenAt, entries, collated: original.manifest.collated + copies.length, finalCheck: check }) : own;
      if (req.input.merge2020) {
        const merged = await merge2020(container, manifest.lads, collated);
        Object.assign(manifest, { finalCheck: merged.check, merge2020: merged.merge });
      }
      const text = JSON.stringify(manifest, null, 2);
      try {
        // One manifest per run: a retried finalize keeps the one an earlier try wrote (a redrive updates its original's).
        await container.getBlockBlobClient(MANIFEST_BLOB).upload(text, Buffer.byteLength(text), {
          blobHTTPHeaders: { blobContentType: 'application/json' },
          conditions: original ? { ifMatch: original.etag } : { ifNoneMatch: '*' },
          abortSignal: callSignal(Context.current().cancellationSignal),
        });
      } catch (err) {
        if (original || !(statusOf(err) === 409 || statusOf(err) === 412)) throw toFailure(err, 'write manifest');
        log.info('manifest already written by an earlier try; kept', { runId: req.runId });
      }
      if (req.scheduleId) await writeLineagePointer(blobs, req.scheduleId, req.runId, req.container, previous);
      // The summary's diff names changed LADs only, a bounded number (the manifest has every LAD's).
      const result: Omit<FinalizeRunResult, 'cleanedUp'> = { manifest: MANIFEST_BLOB, finalCheck: { ok: manifest.finalCheck.ok, problems: manifest.finalCheck.problems.length }, collated: copies.length, lineage, ...(diff && { diff: boundedDiff(diff) }) };
      heartbeat({ result } satisfies FinalizeProgress);
      const cleanedUp = await release();
      log.info('run finalized', { runId: req.runId, collated: copies.length, finalCheckOk: manifest.finalCheck.ok, cleanedUp, previousRunId: lineage.previousRunId });
      return { ...result, cleanedUp };
    },
  };
}

/**
 * Every LAD of the run with its status and note, and the full results of those that finished: from the packed
 * statuses and the LAD records in the container (since 0.2), or as an older worker passed them.
 */
async function ladsOf(blobs: BlobServiceClient, req: FinalizeRunRequest): Promise<{ lads: { lad: string; status: LadStatus; note?: string }[]; results: Map<string, LadResult> }> {
  if (!req.packedLads) return { lads: req.lads ?? [], results: new Map((req.results ?? []).map((r) => [r.lad, r])) };
  const { ladOrder, lads: records } = unpackLads(req.packedLads, req.input.lads);
  const lads = ladOrder.map((lad) => ({ lad, status: records[lad].status, ...(records[lad].note !== undefined && { note: records[lad].note }) }));
  const finished = ladOrder.filter((lad) => (records[lad].status === 'succeeded' || records[lad].status === 'failed') && !records[lad].result);
  // Missing records (a child that could not write its own) leave the manifest entry without attempts.
  const results = await readLadRecords(blobs, req.container, finished);
  for (const lad of ladOrder) {
    const rec = records[lad];
    if (rec.result) results.set(lad, rec.result);
    // A LAD whose child failed as a workflow has no record: its error is all there is.
    else if (!results.has(lad) && rec.status === 'failed') results.set(lad, { lad, status: 'failed', attempts: [], error: rec.error ?? 'failed; no result was recorded' });
  }
  return { lads, results };
}

/** Changed LADs only, at most {@link MAX_DIFF_LADS}, with the counts of all. */
function boundedDiff(diff: RunDiff): RunDiff {
  const changed = diff.lads.filter((l) => l.added.length || l.missing.length || l.changed.length);
  return { previousRunId: diff.previousRunId, lads: changed.slice(0, MAX_DIFF_LADS), ladsCompared: diff.lads.length, ladsChanged: changed.length };
}

function addCollated(map: Map<string, ListedFile[]>, file: ListedFile): void {
  const lad = parseOutputFileName(file.name)?.lad;
  if (!lad) return;
  const list = map.get(lad) ?? [];
  if (!list.some((f) => f.name === file.name)) list.push(file);
  map.set(lad, list);
}

function manifestEntry(lad: string, status: LadStatus, result: LadResult | undefined, files: StoredFile[], expected: ExpectedFiles, note?: string): Manifest['lads'][number] {
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
