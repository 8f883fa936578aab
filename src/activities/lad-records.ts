/**
 * Each LAD's full result (every attempt, stderr tails) lives in the run's container, written by its child, so the
 * parent's state, the continue-as-new payload and finalize's input stay small whatever the LAD count; finalize
 * reads the records back here, a bounded number at a time.
 */
import { Context, heartbeat } from '@temporalio/activity';
import type { BlobServiceClient } from '@azure/storage-blob';
import { LadResultSchema, type LadResult } from '../schemas/lad';
import { ladRecordBlobOf } from '../schemas/names';
import { callSignal } from './clients';
import { mapped, statusOf, toFailure } from './errors';
import { runLimited } from './cleanup';

/** Records read at once by finalize. */
const READ_CONCURRENCY = 32;

export function createLadRecordActivities({ blobs }: { blobs: BlobServiceClient }) {
  return {
    /** Writes a LAD's result (an overwrite: a retry writes the same record). */
    async recordLadResult(req: { container: string; result: LadResult }): Promise<void> {
      const text = JSON.stringify(req.result);
      await mapped(`record ${req.result.lad}`, () =>
        blobs
          .getContainerClient(req.container)
          .getBlockBlobClient(ladRecordBlobOf(req.result.lad))
          .upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'application/json' }, abortSignal: callSignal(Context.current().cancellationSignal) }),
      );
    },
  };
}

/**
 * Reads the records of `lads` (missing ones are left out), heartbeating as it goes.
 * @param alive heartbeats (a finalize step passes one that keeps its progress in the details)
 */
export async function readLadRecords(blobs: BlobServiceClient, container: string, lads: readonly string[], alive: () => void = () => heartbeat()): Promise<Map<string, LadResult>> {
  const client = blobs.getContainerClient(container);
  const records = new Map<string, LadResult>();
  await runLimited(lads, READ_CONCURRENCY, async (lad, i) => {
    let body: Buffer;
    try {
      body = await client.getBlockBlobClient(ladRecordBlobOf(lad)).downloadToBuffer(undefined, undefined, { abortSignal: callSignal(Context.current().cancellationSignal) });
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw toFailure(err, `read the record of ${lad}`);
    }
    const parsed = LadResultSchema.safeParse(JSON.parse(body.toString('utf8')));
    if (parsed.success) records.set(lad, parsed.data);
    if (i % 200 === 0) alive();
  });
  return records;
}
