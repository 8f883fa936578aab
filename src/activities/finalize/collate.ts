/**
 * Finalize step 2, collate: the assigned (`ass_*`) files of every succeeded LAD are copied into
 * `<region>/<year>/` (server-side copies). Progress is saved after each group of {@link LADS_PER_GROUP} LADs, so
 * a retry copies again only the group it was in; the copies are overwrites, so that group's are safe to redo.
 */
import { Context } from '@temporalio/activity';
import type { BlobServiceClient } from '@azure/storage-blob';
import { collationTarget } from '../../outputs/contract';
import { callSignal } from '../clients';
import { runLimited } from '../cleanup';
import { mapped } from '../errors';
import { readUrl } from '../sas';
import type { StepProgress } from './progress';
import { readEntries, type FinalizeRef, type ManifestEntry } from './workspace';

/** LADs whose copies are done between two saves of progress (about 10 copies each). */
export const LADS_PER_GROUP = 4;
/** Copies at once. */
const COPY_CONCURRENCY = 16;

export interface Collated {
  /** Files copied into the region folders. */
  collated: number;
}

interface Progress {
  /** The page under way, and how many of its LADs are collated. */
  page: number;
  lads: number;
  /** Copies made in the pages and LADs before. */
  collated: number;
}

/** The copies collation makes for one LAD: its assigned files, when it succeeded. */
export function copiesOf(entry: ManifestEntry): { from: string; to: string }[] {
  if (entry.status !== 'succeeded') return [];
  return entry.files.flatMap((file) => {
    const to = collationTarget(entry.lad, file.name);
    return to ? [{ from: `${entry.lad}/${file.name}`, to }] : [];
  });
}

export async function collateRunOutputs(blobs: BlobServiceClient, ref: FinalizeRef, progress: StepProgress<Progress>): Promise<Collated> {
  const container = blobs.getContainerClient(ref.container);
  let at: Progress = progress.resumed ?? { page: 0, lads: 0, collated: 0 };
  for (let page = at.page; page < ref.pages; page++) {
    const { lads } = await readEntries(container, ref.runId, page);
    for (let first = page === at.page ? at.lads : 0; first < lads.length; first += LADS_PER_GROUP) {
      const copies = lads.slice(first, first + LADS_PER_GROUP).flatMap(copiesOf);
      await runLimited(copies, COPY_CONCURRENCY, async ({ from, to }) => {
        const source = await readUrl(blobs, ref.container, from, 3_600_000);
        await mapped(`collate ${from}`, () => container.getBlobClient(to).syncCopyFromURL(source, { abortSignal: callSignal(Context.current().cancellationSignal) }));
      });
      at = { page, lads: Math.min(first + LADS_PER_GROUP, lads.length), collated: at.collated + copies.length };
      progress.save(at);
    }
    at = { page: page + 1, lads: 0, collated: at.collated };
  }
  return { collated: at.collated };
}
