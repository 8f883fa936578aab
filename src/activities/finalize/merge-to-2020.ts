/**
 * Finalize step 4 (only with `merge2020: true`): the run's LADs merged into their 2020 LADs under `merged2020/`
 * (../merge-2020.ts), and the final check redone on the 2020 list. A redrive merges all its original's LADs, with
 * the statuses it re-ran. Resumes after the last 2020 LAD merged; the record goes to the workspace.
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import { merge2020, type Merge2020Progress } from '../merge-2020';
import { readManifestForUpdate } from '../redrive-manifest';
import type { CheckRunOutputsRequest, FinalCheckSummary } from './final-check';
import { collatedFiles } from './final-check';
import type { StepProgress } from './progress';
import { allEntries, merge2020BlobOf, writeJson, type Merge2020Record } from './workspace';

export async function mergeRunTo2020(blobs: BlobServiceClient, req: CheckRunOutputsRequest, progress: StepProgress<Merge2020Progress>): Promise<FinalCheckSummary> {
  const container = blobs.getContainerClient(req.container);
  const statuses = new Map<string, string>();
  if (req.redrive) for (const l of (await readManifestForUpdate(container)).manifest.lads) statuses.set(l.lad, l.status);
  for await (const entry of allEntries(container, req)) statuses.set(entry.lad, entry.status);
  const lads = [...statuses].map(([lad, status]) => ({ lad, status }));
  const { merge, check } = await merge2020(container, lads, await collatedFiles(container), progress);
  await writeJson(container, merge2020BlobOf(req.runId), { merge, check } satisfies Merge2020Record);
  return { ok: check.ok, problems: check.problems.length, checkedLads: check.checkedLads };
}
