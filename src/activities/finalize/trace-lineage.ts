/**
 * Finalize step 5, lineage and diff: the run's input hash and recipe version, the previous run of its schedule (from
 * the schedule's pointer), and the per-LAD diff of its files against that run's manifest, written to the workspace
 * page by page (a retry resumes at the first page not written). The result names at most {@link MAX_DIFF_LADS}
 * changed LADs, with the counts of all: the summary shows it, the manifest gets the whole diff. What the previous run
 * ran (recipe version, input hash, provenance) is kept for the manifest step, which knows what this run ran.
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Lineage, LineagePointer } from '../../schemas/lineage';
import type { NormalisedRunInput } from '../../schemas/run-input';
import { mapped } from '../errors';
import { ranFactsOf } from '../../outputs/what-ran';
import { diffAgainst, lineageOf, readManifestIfAny, type RunDiff } from '../lineage';
import type { StepProgress } from './progress';
import { diffBlobOf, previousRanBlobOf, readEntries, writeJson, type FinalizeRef } from './workspace';

/** Most changed LADs the summary's diff names. */
export const MAX_DIFF_LADS = 100;

export interface TraceRunLineageRequest extends FinalizeRef {
  /** The run's normalised input (hashed; it holds no secrets). */
  input: NormalisedRunInput;
  /** The Temporal Schedule that started the run, if any. */
  scheduleId?: string;
}

export interface TracedLineage {
  lineage: Lineage;
  /** The previous run of the schedule, which the manifest step records in the schedule's pointer. */
  previous?: LineagePointer['previous'];
  /** Changed LADs only (at most {@link MAX_DIFF_LADS}) with the counts of all; the pages hold every LAD's. */
  diff?: RunDiff;
}

interface Progress {
  pages: number;
  compared: number;
  changed: number;
  /** The first changed LADs. */
  lads: RunDiff['lads'];
}

export async function traceRunLineage(blobs: BlobServiceClient, req: TraceRunLineageRequest, progress: StepProgress<Progress>): Promise<TracedLineage> {
  const { lineage, previous } = await lineageOf(blobs, req);
  const previousManifest = previous && (await mapped('read previous manifest', () => readManifestIfAny(blobs, previous.container)));
  if (!previousManifest) return { lineage, ...(previous && { previous }) };
  const container = blobs.getContainerClient(req.container);
  // The manifest step compares it with what this run ran, once the tasks' provenance is read.
  if (!progress.resumed) await writeJson(container, previousRanBlobOf(req.runId), ranFactsOf(previousManifest));
  let done: Progress = progress.resumed ?? { pages: 0, compared: 0, changed: 0, lads: [] };
  for (let page = done.pages; page < req.pages; page++) {
    const { lads } = await readEntries(container, req.runId, page);
    const diff = await mapped('diff with previous run', () => diffAgainst(blobs, previousManifest, { container: req.container, lads }, progress.alive));
    await writeJson(container, diffBlobOf(req.runId, page), { lads: diff.lads });
    const changed = diff.lads.filter((l) => l.added.length || l.missing.length || l.changed.length);
    done = { pages: page + 1, compared: done.compared + diff.lads.length, changed: done.changed + changed.length, lads: [...done.lads, ...changed].slice(0, MAX_DIFF_LADS) };
    progress.save(done);
  }
  return { lineage, previous, diff: { previousRunId: previousManifest.runId, lads: done.lads, ladsCompared: done.compared, ladsChanged: done.changed } };
}
