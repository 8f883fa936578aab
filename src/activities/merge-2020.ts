/**
 * The optional 2011-to-2020 LAD merge of finalize (`merge2020: true`): for each 2020 LAD made of several 2011-based
 * LADs of the run (or of one under another code), the sources' `ass_*` files are merged per year, PID/HID renumbered
 * (src/outputs/merge-2020.ts), and written to `merged2020/<newLad>/`. The final check then runs on the 2020 list of
 * the LADs present: unchanged LADs by their collated files, merged ones by the merged files.
 *
 * The mapping and the 2020 lists ship with the package (data/lads/), found relative to this file, not the cwd.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Context, heartbeat } from '@temporalio/activity';
import type { ContainerClient } from '@azure/storage-blob';
import {
  ASSIGNMENT_YEARS,
  assignedHouseholdsFile,
  assignedPeopleFile,
  finalCheck,
  mergeAssignedYear,
  parseLadList,
  parseLadMapping,
  planMerge2020,
  type FinalCheckResult,
  type ListedFile,
  type MergePlanEntry,
} from '../outputs';
import type { Merge2020 } from '../schemas/manifest';
import { callSignal } from './clients';
import { invalidInput, mapped } from './errors';
import type { StepProgress } from './finalize/progress';

/** data/lads of the package: dist/src/activities -> ../../.. ; src/activities -> ../.. */
export const LAD_DATA_DIR = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..', 'data', 'lads');

/** Blob prefix of merged 2020 LADs. */
export const MERGED_2020_PREFIX = 'merged2020/';

let cached: { mapping: Map<string, string[]>; lads2020: Set<string> } | undefined;
function ladData() {
  cached ??= {
    mapping: parseLadMapping(readFileSync(path.join(LAD_DATA_DIR, 'old_to_new_mapping.csv'), 'utf8')),
    lads2020: new Set(['England', 'Scotland', 'Wales'].flatMap((n) => parseLadList(readFileSync(path.join(LAD_DATA_DIR, `new_lad_list_${n}.csv`), 'utf8'), n))),
  };
  return cached;
}

/** The 2020 LAD a 2011-based LAD belongs to: itself when in the 2020 lists, else the mapping's new code. */
function target2020(lad: string): string | undefined {
  const { mapping, lads2020 } = ladData();
  if (lads2020.has(lad)) return lad;
  for (const [newLad, olds] of mapping) if (olds.includes(lad) && lads2020.has(newLad)) return newLad;
  return undefined;
}

async function text(container: ContainerClient, blob: string): Promise<string> {
  const body = await mapped(`read ${blob}`, () => container.getBlobClient(blob).downloadToBuffer(0, undefined, { abortSignal: callSignal(Context.current().cancellationSignal, 600_000) }));
  return body.toString('utf8');
}

async function write(container: ContainerClient, blob: string, body: string): Promise<number> {
  const size = Buffer.byteLength(body);
  await mapped(`write ${blob}`, () =>
    container.getBlockBlobClient(blob).upload(body, size, { blobHTTPHeaders: { blobContentType: 'text/csv' }, abortSignal: callSignal(Context.current().cancellationSignal, 600_000) }),
  );
  return size;
}

/** How far a merge got: plan entries done, and what the merged ones produced (a retry resumes after them). */
export interface Merge2020Progress {
  done: number;
  entries: Merge2020['lads'];
  merged: Record<string, ListedFile[]>;
}

/**
 * Merges the run's succeeded LADs into their 2020 LADs and runs the final check on the 2020 list.
 * @param lads the run's LADs with their status
 * @param collated the collated assigned files by (2011-based) LAD, as the 2011 final check saw them
 * @param progress where a finalize step keeps how far the merge got
 */
export async function merge2020(
  container: ContainerClient,
  lads: readonly { lad: string; status: string }[],
  collated: ReadonlyMap<string, readonly ListedFile[]>,
  progress?: StepProgress<Merge2020Progress>,
): Promise<{ merge: Merge2020; check: FinalCheckResult }> {
  const unmapped = lads.filter((l) => !target2020(l.lad)).map((l) => l.lad);
  if (unmapped.length > 0) throw invalidInput(`merge2020: LAD(s) ${unmapped.join(', ')} belong to no 2020 LAD of data/lads`);
  const newLads = [...new Set(lads.map((l) => target2020(l.lad)!))];
  let plan: MergePlanEntry[];
  try {
    plan = planMerge2020(newLads, lads.map((l) => l.lad), ladData().mapping);
  } catch (err) {
    throw invalidInput(`merge2020: ${(err as Error).message}`);
  }
  const succeeded = new Set(lads.filter((l) => l.status === 'succeeded').map((l) => l.lad));
  const resumed = progress?.resumed;
  const merged: Record<string, ListedFile[]> = { ...resumed?.merged };
  const entries: Merge2020['lads'] = [...(resumed?.entries ?? [])];
  const present = new Map<string, ListedFile[]>(Object.entries(merged));
  const alive = () => (progress ? progress.alive() : heartbeat());
  for (const [i, entry] of plan.entries()) {
    if (entry.kind === 'same') {
      present.set(entry.lad, [...(collated.get(entry.lad) ?? [])]);
      continue;
    }
    if (i < (resumed?.done ?? 0)) continue;
    const ready = entry.sources.every((s) => succeeded.has(s));
    const files: ListedFile[] = [];
    if (ready) {
      for (const year of ASSIGNMENT_YEARS) {
        const parts = [];
        for (const source of entry.sources) {
          parts.push({
            people: await text(container, `${source}/${assignedPeopleFile(source, year)}`),
            households: await text(container, `${source}/${assignedHouseholdsFile(source, year)}`),
          });
        }
        const mergedYear = mergeAssignedYear(parts);
        for (const [name, body] of [[assignedPeopleFile(entry.lad, year), mergedYear.people], [assignedHouseholdsFile(entry.lad, year), mergedYear.households]] as const) {
          files.push({ name: `${MERGED_2020_PREFIX}${entry.lad}/${name}`, size: await write(container, `${MERGED_2020_PREFIX}${entry.lad}/${name}`, body) });
        }
        alive();
      }
    }
    present.set(entry.lad, files);
    merged[entry.lad] = files;
    entries.push({ lad: entry.lad, sources: entry.sources, kind: entry.kind, files: files.length, ...(!ready && { skipped: 'not every source LAD succeeded' }) });
    progress?.save({ done: i + 1, entries, merged });
  }
  return { merge: { lads: entries }, check: finalCheck(newLads, present) };
}
