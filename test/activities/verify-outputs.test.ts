/**
 * Finalize's verify step against Azurite, with a counting policy first in the storage client's pipeline: a run's
 * LAD folders come from one paged listing of the container (not a call per LAD), and a redrive of a few LADs in a
 * large container lists just their folders. Either way each entry holds exactly its own folder's files.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient, newPipeline, type ContainerClient, type StorageSharedKeyCredential } from '@azure/storage-blob';
import { MockActivityEnvironment } from '@temporalio/testing';
import { runLimited } from '../../src/activities/cleanup';
import { createBlobServiceClient } from '../../src/azure/clients';
import { activityProgress } from '../../src/activities/finalize/progress';
import { verifyRunOutputs, type VerifyRunOutputsRequest } from '../../src/activities/finalize/verify-outputs';
import { entriesBlobOf, type EntriesPage } from '../../src/activities/finalize/workspace';
import { ladRecordBlobOf } from '../../src/schemas/names';
import { packLads } from '../../src/schemas/packed-lads';
import { ladCodes } from '../helpers/lads';
import { ensureStack, uniqueId } from '../helpers/stack';

/** 60 LADs of 86 files: 5,160 LAD files, more than one 5,000-blob page of a listing. */
const LADS = ladCodes(60, 'E0700');
const EXPECTED = Array.from({ length: 86 }, (_, i) => `f${String(i).padStart(2, '0')}_{lad}.csv`);
const filesOf = (lad: string) => EXPECTED.map((name) => name.replace('{lad}', lad));
const bodyOf = (lad: string) => `id\n${lad}\n`;

describe('verifyRunOutputs lists the LAD folders in as few calls as the container needs', () => {
  let blobs: BlobServiceClient;
  let container: ContainerClient;
  let listCalls = 0;
  const [missingOne, extraOne, emptyOne] = LADS;

  before(async () => {
    const plain = createBlobServiceClient(await ensureStack());
    const pipeline = newPipeline(plain.credential as StorageSharedKeyCredential);
    pipeline.factories.unshift({ create: (next) => ({ sendRequest: (req) => ((/[?&]comp=list/.test(req.url) && listCalls++), next.sendRequest(req)) }) });
    blobs = new BlobServiceClient(plain.url, pipeline);
    container = blobs.getContainerClient(uniqueId('verify-outputs'));
    await container.create();
    const uploads: [string, string][] = [];
    for (const lad of LADS) {
      for (const name of filesOf(lad)) if (!(lad === missingOne && name.startsWith('f85'))) uploads.push([`${lad}/${name}`, lad === emptyOne && name.startsWith('f00') ? '' : bodyOf(lad)]);
      uploads.push([ladRecordBlobOf(lad), JSON.stringify({ lad, status: 'succeeded', attempts: [{ attempt: 1, taskId: `${lad}-a1`, outcome: 'success', exitCode: 0 }], fileCount: 86, recorded: true })]);
    }
    // What else a run's container holds: an extra file in one LAD, inputs, collated files, another run's LAD.
    uploads.push([`${extraOne}/notes.txt`, 'x'], ['inputs/config.json', '{}'], [`England/2020/ass_${LADS[3]}_MSOA11_2020.csv`, 'x'], ['E09999999/f00_E09999999.csv', 'x']);
    await runLimited(uploads, 64, async ([name, body]) => {
      await container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
    });
  });
  after(async () => {
    await container?.deleteIfExists();
  });

  async function verify(lads: string[], runId: string): Promise<EntriesPage['lads']> {
    const req: VerifyRunOutputsRequest = {
      runId,
      container: container.containerName,
      packedLads: packLads(lads, Object.fromEntries(lads.map((lad) => [lad, { status: 'succeeded' as const, attempts: 1 }])), lads),
      inputLads: lads,
      expectedFiles: EXPECTED,
    };
    listCalls = 0;
    const result = await new MockActivityEnvironment().run(() => verifyRunOutputs(blobs, req, activityProgress()));
    assert.deepEqual(result, { pages: 1, lads: lads.length, succeeded: lads.length, incomplete: lads.filter((l) => [missingOne, extraOne, emptyOne].includes(l)).length });
    const page = JSON.parse((await container.getBlobClient(entriesBlobOf(runId, 0)).downloadToBuffer()).toString('utf8')) as EntriesPage;
    return page.lads;
  }

  it('a whole run: one paged listing of the container, each LAD with its own files, checked', async () => {
    const entries = await verify(LADS, 'whole');
    assert.equal(listCalls, 2, 'two pages of up to 5,000 blobs, not one call per LAD');
    assert.deepEqual(entries.map((e) => e.lad), LADS);
    for (const entry of entries) {
      const expected = filesOf(entry.lad).filter((n) => !(entry.lad === missingOne && n.startsWith('f85')));
      if (entry.lad === extraOne) expected.push('notes.txt');
      assert.deepEqual(entry.files.map((f) => f.name), expected.sort(), entry.lad);
      assert.ok(entry.files.every((f) => f.md5 && f.size === (entry.lad === emptyOne && f.name.startsWith('f00') ? 0 : f.name === 'notes.txt' ? 1 : bodyOf(entry.lad).length)), entry.lad);
      assert.equal(entry.outputsOk, ![missingOne, extraOne, emptyOne].includes(entry.lad), entry.lad);
    }
  });

  it('a redrive of a few LADs in the same container: their folders only, one call each', async () => {
    const few = [emptyOne, LADS[10], LADS[59]];
    const entries = await verify(few, 'redrive');
    assert.equal(listCalls, few.length);
    assert.deepEqual(entries.map((e) => [e.lad, e.files.length, e.outputsOk]), [[emptyOne, 86, false], [LADS[10], 86, true], [LADS[59], 86, true]]);
  });
});
