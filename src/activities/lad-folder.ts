/** A LAD's output folder `<container>/<LAD>/`, emptied before a later attempt so its files never mix with earlier ones. */
import { Context } from '@temporalio/activity';
import type { BlobServiceClient } from '@azure/storage-blob';
import { callSignal } from './clients';
import { mapped } from './errors';
import { runLimited } from './cleanup';
import { provenancePrefixOf } from '../outputs/provenance';

/**
 * Deletes every blob under `<lad>/` and the LAD's provenance (idempotent: a blob already gone is fine).
 * @returns how many blobs were deleted
 */
export async function clearLadFolder(blobs: BlobServiceClient, container: string, lad: string): Promise<number> {
  const client = blobs.getContainerClient(container);
  const signal = () => callSignal(Context.current().cancellationSignal);
  // The attempt's provenance goes too: it describes the attempt whose outputs the folder holds.
  const names = await mapped(`list ${lad}/`, async () => {
    const found: string[] = [];
    for (const prefix of [`${lad}/`, `${provenancePrefixOf(lad)}/`]) {
      for await (const blob of client.listBlobsFlat({ prefix, abortSignal: signal() })) found.push(blob.name);
    }
    return found;
  });
  await runLimited(names, 8, (name) => mapped(`delete ${name}`, () => client.deleteBlob(name, { abortSignal: signal() }).then(() => undefined, ignoreGone)));
  return names.length;
}

function ignoreGone(err: unknown): void {
  if ((err as { statusCode?: number }).statusCode !== 404) throw err;
}
