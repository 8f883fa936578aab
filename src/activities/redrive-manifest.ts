/**
 * A redrive updates its original run's manifest.json per LAD, never rewriting it from scratch: the entries of the
 * LADs it re-ran are replaced (their earlier attempts kept in front of the new ones), every other entry is left as
 * it was, a `redrives` record is appended, and the final check is redone over all the original's LADs. The write is
 * conditional on the ETag read, so two redrives finalizing at once cannot lose each other's update.
 */
import { Context } from '@temporalio/activity';
import type { ContainerClient } from '@azure/storage-blob';
import { ManifestSchema, type Manifest } from '../schemas/manifest';
import { MANIFEST_BLOB } from '../schemas/names';
import { callSignal } from './clients';
import { invalidInput, mapped, statusOf } from './errors';

type Entry = Manifest['lads'][number];

/** Reads a manifest and its ETag (for the conditional write back). */
export async function readManifestForUpdate(container: ContainerClient): Promise<{ manifest: Manifest; etag: string }> {
  try {
    const blob = container.getBlobClient(MANIFEST_BLOB);
    const props = await blob.getProperties({ abortSignal: callSignal(Context.current().cancellationSignal) });
    const body = await blob.downloadToBuffer(0, undefined, { conditions: { ifMatch: props.etag }, abortSignal: callSignal(Context.current().cancellationSignal) });
    return { manifest: ManifestSchema.parse(JSON.parse(body.toString('utf8'))), etag: props.etag! };
  } catch (err) {
    if (statusOf(err) === 404) throw invalidInput(`redrive: the original run's ${container.containerName}/${MANIFEST_BLOB} does not exist`);
    return mapped('read original manifest', () => Promise.reject(err));
  }
}

/**
 * The original manifest with a redrive's results merged in (pure). Safe to apply twice (a retried finalize):
 * attempts are merged by task id and the run's `redrives` record is replaced, not repeated.
 */
export function mergeRedrive(
  original: Manifest,
  redrive: { runId: string; at: string; entries: Entry[]; collated: number; finalCheck: Manifest['finalCheck'] },
): Manifest {
  const fresh = new Map(redrive.entries.map((e) => [e.lad, e]));
  const lads = original.lads.map((old) => {
    const now = fresh.get(old.lad);
    if (!now) return old;
    const newTasks = new Set(now.attempts.map((a) => a.taskId));
    const attempts = [...old.attempts.filter((a) => !newTasks.has(a.taskId)), ...now.attempts];
    return { ...now, attempts, taskIds: attempts.map((a) => a.taskId), startTime: attempts[0]?.startTime ?? now.startTime, redriveRunId: redrive.runId };
  });
  const record = { runId: redrive.runId, at: redrive.at, lads: redrive.entries.map((e) => ({ lad: e.lad, status: e.status })) };
  return {
    ...original,
    lads,
    collated: Math.max(original.collated, redrive.collated),
    finalCheck: redrive.finalCheck,
    redrives: [...(original.redrives ?? []).filter((r) => r.runId !== redrive.runId), record],
  };
}
