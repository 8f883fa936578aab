/**
 * Lineage and the nightly diff, for finalize: the input hash and recipe version of a run, the schedule's pointer
 * blob (`spc-lineage/lineage/<scheduleId>.json`, read at the start of finalize and written at its end, so no
 * Temporal client is needed in activities), and the per-LAD diff against the previous run's manifest. Row counts
 * are read only for files whose MD5 changed, so an unchanged nightly run reads nothing but the two manifests.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Context, heartbeat } from '@temporalio/activity';
import type { BlobServiceClient } from '@azure/storage-blob';
import { CsvCounter, diffLadOutputs, type FileFacts } from '../outputs/csv-stats';
import { recipeLocalInputs } from '../recipes';
import { LINEAGE_CONTAINER, lineageBlobOf, LineagePointerSchema, type Lineage, type LineagePointer } from '../schemas/lineage';
import { ManifestSchema, type Manifest } from '../schemas/manifest';
import { MANIFEST_BLOB } from '../schemas/names';
import type { ReportDiffSchema } from '../schemas/report';
import type { NormalisedRunInput, Recipe } from '../schemas/run-input';
import type { z } from 'zod';
import { callSignal } from './clients';
import { mapped, statusOf } from './errors';

export type RunDiff = z.infer<typeof ReportDiffSchema>;

/** JSON with object keys sorted, so equal inputs hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of the normalised input without its run id (two nights of one schedule hash equally). */
export function inputHashOf(input: NormalisedRunInput): string {
  const { runId: _, ...rest } = input;
  return `sha256:${createHash('sha256').update(canonicalJson(rest)).digest('hex')}`;
}

/** `<recipe>@<sha256 of what it runs, 12 hex>`: the scripts uploaded for it, or a custom recipe's commands. */
export function recipeVersionOf(recipe: Recipe): string {
  const hash = createHash('sha256');
  for (const file of recipeLocalInputs(recipe)) hash.update(file.blobName).update(readFileSync(file.localPath));
  if (recipe.name === 'custom') hash.update(canonicalJson({ command: recipe.command, start: recipe.startCommand, out: recipe.outputPattern }));
  return `${recipe.name}@${hash.digest('hex').slice(0, 12)}`;
}

/** The previous run of a schedule, from its pointer; a retried finalize of the same run finds the pointer's `previous`. */
export async function previousRunOf(blobs: BlobServiceClient, scheduleId: string, runId: string): Promise<LineagePointer['previous']> {
  const blob = blobs.getContainerClient(LINEAGE_CONTAINER).getBlobClient(lineageBlobOf(scheduleId));
  let pointer: LineagePointer;
  try {
    const body = await blob.downloadToBuffer(0, undefined, { abortSignal: callSignal(Context.current().cancellationSignal) });
    pointer = LineagePointerSchema.parse(JSON.parse(body.toString('utf8')));
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
  return pointer.runId === runId ? pointer.previous : { runId: pointer.runId, container: pointer.container };
}

/** Records `runId` as the schedule's latest run (keeping its predecessor). */
export async function writeLineagePointer(blobs: BlobServiceClient, scheduleId: string, runId: string, container: string, previous: LineagePointer['previous']): Promise<void> {
  const pointer: LineagePointer = { runId, container, writtenAt: new Date().toISOString(), ...(previous && { previous }) };
  const text = JSON.stringify(pointer);
  const lineage = blobs.getContainerClient(LINEAGE_CONTAINER);
  await mapped('lineage container', () => lineage.createIfNotExists({ abortSignal: callSignal(Context.current().cancellationSignal) }));
  await mapped('write lineage pointer', () =>
    lineage.getBlockBlobClient(lineageBlobOf(scheduleId)).upload(text, Buffer.byteLength(text), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
      abortSignal: callSignal(Context.current().cancellationSignal),
    }),
  );
}

/** A run's manifest, or undefined when it (or its container) is gone. */
export async function readManifestIfAny(blobs: BlobServiceClient, container: string): Promise<Manifest | undefined> {
  try {
    const body = await blobs.getContainerClient(container).getBlobClient(MANIFEST_BLOB).downloadToBuffer(0, undefined, { abortSignal: callSignal(Context.current().cancellationSignal) });
    return ManifestSchema.parse(JSON.parse(body.toString('utf8')));
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/** Data rows of a CSV blob, streamed (never held whole); undefined when it cannot be read (e.g. cleaned up). */
async function rowsOf(blobs: BlobServiceClient, container: string, blob: string): Promise<number | undefined> {
  try {
    const response = await blobs.getContainerClient(container).getBlobClient(blob).download(0, undefined, { abortSignal: callSignal(Context.current().cancellationSignal, 600_000) });
    const counter = new CsvCounter();
    for await (const chunk of response.readableStreamBody ?? []) counter.push(chunk as Buffer);
    return counter.finish().rows;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/** A file's facts for the diff; a missing MD5 falls back to the size, so such files compare by size only. */
const factsOf = (f: { name: string; size: number; md5?: string }): FileFacts => ({ name: f.name, size: f.size, md5: f.md5 ?? `size:${f.size}` });

/**
 * The per-LAD diff of the current run's files against the previous run's manifest (added, missing, changed by
 * MD5 with size and row deltas, unchanged count). Row counts are read from both containers for changed files only.
 */
export async function diffAgainst(
  blobs: BlobServiceClient,
  previous: Manifest,
  current: { container: string; lads: { lad: string; files: { name: string; size: number; md5?: string }[] }[] },
  alive: () => void = () => heartbeat(),
): Promise<RunDiff> {
  const before = new Map(previous.lads.map((entry) => [entry.lad, entry.files]));
  const lads: RunDiff['lads'] = [];
  for (const { lad, files } of current.lads) {
    const diff = diffLadOutputs((before.get(lad) ?? []).map(factsOf), files.map(factsOf));
    const changed = [];
    for (const change of diff.changed) {
      const [then, now] = await Promise.all([
        change.name.endsWith('.csv') ? rowsOf(blobs, previous.container, `${lad}/${change.name}`) : undefined,
        change.name.endsWith('.csv') ? rowsOf(blobs, current.container, `${lad}/${change.name}`) : undefined,
      ]);
      changed.push({ name: change.name, sizeDelta: change.sizeDelta, ...(then !== undefined && now !== undefined && { rowsDelta: now - then }) });
      alive();
    }
    lads.push({ lad, added: diff.added.map((f) => f.name), missing: diff.missing.map((f) => f.name), changed, unchanged: diff.unchanged });
  }
  return { previousRunId: previous.runId, lads };
}

/** What finalize records about a run's lineage, and the diff when a previous run of its schedule exists. */
export async function lineageOf(
  blobs: BlobServiceClient,
  req: { runId: string; container: string; input: NormalisedRunInput; scheduleId?: string },
): Promise<{ lineage: Lineage; previous?: LineagePointer['previous'] }> {
  const previous = req.scheduleId ? await mapped('read lineage pointer', () => previousRunOf(blobs, req.scheduleId!, req.runId)) : undefined;
  return {
    lineage: {
      inputHash: inputHashOf(req.input),
      recipeVersion: recipeVersionOf(req.input.recipe),
      ...(req.scheduleId && { scheduleId: req.scheduleId }),
      ...(previous && { previousRunId: previous.runId }),
    },
    previous,
  };
}
