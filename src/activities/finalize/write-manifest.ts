/**
 * Finalize step 6, the manifest: `manifest.json` assembled from the workspace (entries, final check, 2020 merge,
 * diff) and written once (conditionally: a retry keeps the one an earlier try wrote), or, for a redrive, merged
 * into its original's manifest under its ETag; then the schedule's lineage pointer moves to this run. Saved as
 * done once written, so a retry after that only answers.
 */
import { Context, log } from '@temporalio/activity';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { FinalCheckResult } from '../../outputs/contract';
import { ranChangesBetween, ranFactsOf, type RanFacts } from '../../outputs/what-ran';
import type { Lineage, LineagePointer } from '../../schemas/lineage';
import { ladPlanBlobOf, LadPlanSchema, type LadPlan } from '../../schemas/lad-order';
import type { Manifest } from '../../schemas/manifest';
import { MANIFEST_BLOB } from '../../schemas/names';
import { callSignal } from '../clients';
import { statusOf, toFailure } from '../errors';
import { writeLineagePointer, type RunDiff } from '../lineage';
import { mergeRedrive, readManifestForUpdate } from '../redrive-manifest';
import type { StepProgress } from './progress';
import { readRunProvenance } from './provenance';
import { allEntries, diffBlobOf, finalCheckBlobOf, merge2020BlobOf, previousRanBlobOf, readJson, readJsonIfAny, type DiffPage, type FinalizeRef, type ManifestEntry, type Merge2020Record } from './workspace';

export interface WriteRunManifestRequest extends FinalizeRef {
  jobId: string;
  poolId: string;
  /** Files collation copied. */
  collated: number;
  lineage: Lineage;
  previous?: LineagePointer['previous'];
  /** The run the lineage step diffed against (it wrote a diff), if any. */
  diffedWith?: string;
  redrive?: boolean;
  merge2020?: boolean;
  /** Move this schedule's lineage pointer to the run. */
  scheduleId?: string;
}

export interface WrittenManifest {
  manifest: string;
  finalCheck: { ok: boolean; problems: number };
}

interface Progress {
  written?: WrittenManifest;
}

export async function writeRunManifest(blobs: BlobServiceClient, req: WriteRunManifestRequest, progress: StepProgress<Progress>): Promise<WrittenManifest> {
  if (progress.resumed?.written) return progress.resumed.written;
  const container = blobs.getContainerClient(req.container);
  const entries: ManifestEntry[] = [];
  for await (const entry of allEntries(container, req)) entries.push(entry);
  progress.alive();
  const check = await readJson<FinalCheckResult>(container, finalCheckBlobOf(req.runId));
  const diff = req.diffedWith !== undefined ? await diffOf(container, req, req.diffedWith) : undefined;
  const writtenAt = new Date().toISOString();
  // A redrive updates its original's manifest; the final check already covers all of the original's LADs.
  const original = req.redrive ? await readManifestForUpdate(container) : undefined;
  const manifest: Manifest = original
    ? mergeRedrive(original.manifest, { runId: req.runId, at: writtenAt, entries, collated: original.manifest.collated + req.collated, finalCheck: check })
    : { runId: req.runId, jobId: req.jobId, poolId: req.poolId, container: req.container, writtenAt, lads: entries, collated: req.collated, lineage: req.lineage, ...(diff && { diff }), finalCheck: check };
  const provenance = await readRunProvenance(container);
  if (provenance.entries.length > 0) {
    Object.assign(manifest, { provenance: provenance.entries, ...(provenance.omitted > 0 && { provenanceOmitted: provenance.omitted }) });
    if (manifest.lineage) manifest.lineage = { ...manifest.lineage, provenance: provenance.entries.map((e) => e.id) };
    manifest.lads = manifest.lads.map((entry) => (provenance.byLad.has(entry.lad) ? { ...entry, provenance: provenance.byLad.get(entry.lad) } : entry));
  }
  if (!original && manifest.diff) manifest.diff.ran = await ranAlikeWithPrevious(container, req.runId, manifest);
  if (!original) await withPlan(container, req.runId, manifest);
  if (req.merge2020) {
    const merged = await readJson<Merge2020Record>(container, merge2020BlobOf(req.runId));
    Object.assign(manifest, { finalCheck: merged.check, merge2020: merged.merge });
  }
  await upload(container, manifest, original?.etag);
  if (req.scheduleId) await writeLineagePointer(blobs, req.scheduleId, req.runId, req.container, req.previous);
  const written: WrittenManifest = { manifest: MANIFEST_BLOB, finalCheck: { ok: manifest.finalCheck.ok, problems: manifest.finalCheck.problems.length } };
  progress.save({ written });
  return written;
}

/** Adds the run's LAD plan (lad-order.ts), when it made one: the order used and why, and each LAD's expected duration. */
async function withPlan(container: ContainerClient, runId: string, manifest: Manifest): Promise<void> {
  const stored = await readJsonIfAny(container, ladPlanBlobOf(runId));
  if (stored === undefined) return;
  const plan: LadPlan = LadPlanSchema.parse(stored);
  manifest.order = { used: plan.used, reason: plan.reason, ...(plan.sources && { sources: plan.sources }) };
  for (const entry of manifest.lads) {
    const seconds = plan.expectedSeconds[entry.lad];
    if (seconds !== undefined) entry.expectedDurationMs = seconds * 1000;
  }
}

/** Whether this run ran alike with the one it was diffed against; unknown when the lineage step kept no record of it. */
async function ranAlikeWithPrevious(container: ContainerClient, runId: string, manifest: Manifest): Promise<RunDiff['ran']> {
  const before = (await readJsonIfAny(container, previousRanBlobOf(runId))) as RanFacts | undefined;
  if (!before) return undefined;
  const { changes, omitted } = ranChangesBetween(before, ranFactsOf(manifest));
  return { alike: changes.length === 0, changes, ...(omitted > 0 && { omitted }) };
}

/** The whole diff (every LAD compared), from the lineage step's pages. */
async function diffOf(container: ContainerClient, ref: FinalizeRef, previousRunId: string): Promise<RunDiff> {
  const lads: RunDiff['lads'] = [];
  for (let page = 0; page < ref.pages; page++) lads.push(...(await readJson<DiffPage>(container, diffBlobOf(ref.runId, page))).lads);
  return { previousRunId, lads };
}

/** One manifest per run: kept if an earlier try wrote it; a redrive's write is conditional on the original's ETag. */
async function upload(container: ContainerClient, manifest: Manifest, etag: string | undefined): Promise<void> {
  const text = JSON.stringify(manifest, null, 2);
  try {
    await container.getBlockBlobClient(MANIFEST_BLOB).upload(text, Buffer.byteLength(text), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
      conditions: etag ? { ifMatch: etag } : { ifNoneMatch: '*' },
      abortSignal: callSignal(Context.current().cancellationSignal, 600_000),
    });
  } catch (err) {
    if (etag || !(statusOf(err) === 409 || statusOf(err) === 412)) throw toFailure(err, 'write manifest');
    log.info('manifest already written by an earlier try; kept', { runId: manifest.runId });
  }
}
