/**
 * Finalize step 3, final check: every LAD the run must deliver has its 10 assigned files, non-empty, in the region
 * folders, as they are in storage after collation (listed, not assumed from the copies). A redrive checks all of
 * its original's LADs. The check (its problems can name every LAD) goes to the workspace; the result carries counts.
 * One pass of reads: a retry lists again (a few list calls per 5,000 files).
 */
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { finalCheck, finalCheckOfFolders, parseOutputFileName, type ListedFile } from '../../outputs/contract';
import { readManifestForUpdate } from '../redrive-manifest';
import { expectedFilesOf, type ExpectedFiles } from './verify-outputs';
import { allEntries, finalCheckBlobOf, listLadFolders, listUnder, writeJson, type FinalizeRef } from './workspace';

const REGIONS = ['England', 'Wales', 'Scotland', 'NorthernIreland'] as const;

export interface CheckRunOutputsRequest extends FinalizeRef {
  /** A redrive: check the LADs of the original run's manifest. */
  redrive?: boolean;
  /** What each LAD must deliver; absent (a request of an older worker) or `contract`: the output contract's files. */
  expectedFiles?: ExpectedFiles;
}

export interface FinalCheckSummary {
  ok: boolean;
  /** LADs with a missing or empty assigned file. */
  problems: number;
  checkedLads: number;
}

export async function checkRunOutputs(blobs: BlobServiceClient, req: CheckRunOutputsRequest): Promise<FinalCheckSummary> {
  const container = blobs.getContainerClient(req.container);
  const expected = req.redrive ? (await readManifestForUpdate(container)).manifest.lads.map((l) => l.lad) : await ladsOf(container, req);
  const own = req.expectedFiles && req.expectedFiles !== 'contract' ? req.expectedFiles : undefined;
  const check = own ? finalCheckOfFolders(expected, await listLadFolders(container), (lad) => expectedFilesOf(lad, own)) : finalCheck(expected, await collatedFiles(container));
  await writeJson(container, finalCheckBlobOf(req.runId), check);
  return { ok: check.ok, problems: check.problems.length, checkedLads: check.checkedLads };
}

/** The region folders' files by LAD (names with their `<region>/<year>/` prefix). */
export async function collatedFiles(container: ContainerClient): Promise<Map<string, ListedFile[]>> {
  const byLad = new Map<string, ListedFile[]>();
  for (const region of REGIONS) {
    for (const file of await listUnder(container, `${region}/`)) {
      const lad = parseOutputFileName(file.name)?.lad;
      if (!lad) continue;
      const files = byLad.get(lad) ?? [];
      files.push({ name: `${region}/${file.name}`, size: file.size });
      byLad.set(lad, files);
    }
  }
  return byLad;
}

async function ladsOf(container: ContainerClient, ref: FinalizeRef): Promise<string[]> {
  const lads: string[] = [];
  for await (const entry of allEntries(container, ref)) lads.push(entry.lad);
  return lads;
}
