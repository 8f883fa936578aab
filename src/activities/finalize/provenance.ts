/**
 * The run's provenance for the manifest: the `_spc/provenance/` listing grouped by content, one read per distinct
 * file (a listing of 10,000 LADs is two list calls; a run has one or two distinct files).
 */
import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { Context } from '@temporalio/activity';
import { MAX_DISTINCT_PROVENANCE, MAX_PROVENANCE_BYTES, groupProvenance, parseProvenance } from '../../outputs/provenance';
import type { Manifest } from '../../schemas/manifest';
import { callSignal } from '../clients';
import { toFailure } from '../errors';
import { listUnder } from './workspace';

const PREFIX = '_spc/provenance/';

export interface RunProvenance {
  entries: NonNullable<Manifest['provenance']>;
  /** Distinct files beyond {@link MAX_DISTINCT_PROVENANCE}, counted but not read. */
  omitted: number;
  /** Each LAD's provenance id. */
  byLad: Map<string, string>;
}

export async function readRunProvenance(container: ContainerClient): Promise<RunProvenance> {
  const groups = [...groupProvenance(await listUnder(container, PREFIX)).values()].sort((a, b) => b.lads.length - a.lads.length);
  const entries: RunProvenance['entries'] = [];
  const byLad = new Map<string, string>();
  for (const group of groups.slice(0, MAX_DISTINCT_PROVENANCE)) {
    const text = await download(container, `${PREFIX}${group.blob}`, Math.min(group.size, MAX_PROVENANCE_BYTES));
    // The id is the content's: the same code on two nights has the same id.
    const id = createHash('sha256').update(text).digest('hex').slice(0, 12);
    entries.push({ id, file: group.file, lads: group.lads.length, content: parseProvenance(text) });
    for (const lad of group.lads) byLad.set(lad, id);
  }
  return { entries, omitted: Math.max(0, groups.length - MAX_DISTINCT_PROVENANCE), byLad };
}

async function download(container: ContainerClient, name: string, bytes: number): Promise<string> {
  if (bytes === 0) return '';
  try {
    const buffer = await container.getBlobClient(name).downloadToBuffer(0, bytes, { abortSignal: callSignal(Context.current().cancellationSignal) });
    return buffer.toString('utf8');
  } catch (err) {
    throw toFailure(err, `read ${name}`);
  }
}
