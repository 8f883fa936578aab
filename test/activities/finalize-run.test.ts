/**
 * The single `finalizeRun` activity kept for runs that scheduled it before finalize had steps, under the SDK's
 * MockActivityEnvironment against Azurite: it runs every step and answers in the shape it always had, and an attempt
 * that failed part-way (a collated file under a lease) is resumed by the next from its heartbeat details: steps done
 * are not run again, the step under way continues where it stopped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivityBundle, type ActivityBundle } from '../../src/activities';
import { LADS_PER_GROUP } from '../../src/activities/finalize/collate';
import type { ComposedProgress } from '../../src/activities/finalize/progress';
import { entriesBlobOf } from '../../src/activities/finalize/workspace';
import type { FinalizeRunRequest, FinalizeRunResult } from '../../src/outputs/finalize-sequence';
import { expectedLadFiles } from '../../src/outputs/contract';
import { packLads } from '../../src/schemas/packed-lads';
import { ladRecordBlobOf } from '../../src/schemas/names';
import { parseRunInput } from '../../src/schemas/run-input';
import { ladCodes } from '../helpers/lads';
import { startTestBatch, type TestBatch } from '../helpers/local-batch';
import { ensureStack, uniqueId } from '../helpers/stack';

describe('finalizeRun (every step in one activity) in a MockActivityEnvironment', () => {
  let b: TestBatch;
  let bundle: ActivityBundle;
  before(async () => {
    const config = await ensureStack();
    b = await startTestBatch();
    bundle = createActivityBundle({ ...config, AZURE_BATCH_URL: b.service.url, AZURE_BATCH_ACCOUNT: b.accountName, AZURE_BATCH_KEY: b.accountKey });
  });
  after(async () => {
    bundle?.close();
    await b?.stop();
  });

  /** A container as a run leaves it before finalize: each LAD's 69 files and its record. */
  async function finishedRun(lads: string[]): Promise<{ container: ContainerClient; request: FinalizeRunRequest }> {
    const runId = uniqueId('finalize-run');
    const container = bundle.deps.blobs.getContainerClient(runId);
    await container.create();
    for (const lad of lads) {
      await Promise.all(expectedLadFiles(lad).map((name) => container.getBlockBlobClient(`${lad}/${name}`).upload(`id\n${lad}\n`, lad.length + 4)));
      const record = JSON.stringify({ lad, status: 'succeeded', attempts: [{ attempt: 1, taskId: `${lad}-a1`, outcome: 'success', exitCode: 0 }], fileCount: 69, recorded: true });
      await container.getBlockBlobClient(ladRecordBlobOf(lad)).upload(record, record.length);
    }
    const parsed = parseRunInput({ lads, cleanup: { onSuccess: 'nothing', onFailure: 'nothing' } }, runId);
    assert.ok(parsed.ok);
    const records = Object.fromEntries(lads.map((lad) => [lad, { status: 'succeeded' as const, attempts: 1 }]));
    const request: FinalizeRunRequest = {
      runId,
      container: runId,
      jobId: `spc-${runId}`,
      poolId: `spc-${runId}`,
      packedLads: packLads(lads, records, lads),
      expectedFiles: 'contract',
      cleanup: [],
      input: parsed.input,
    };
    return { container, request };
  }

  it('runs every step and answers as before; a retry after a failure part-way skips the steps done and resumes the one under way', async () => {
    const lads = ladCodes(LADS_PER_GROUP + 1);
    const { container, request } = await finishedRun(lads);
    const held = `England/2039/ass_hh_${lads.at(-1)}_OA11_2039.csv`;
    await container.getBlockBlobClient(held).upload('x', 1);
    const lease = container.getBlobClient(held).getBlobLeaseClient();
    await lease.acquireLease(-1);

    const first = new MockActivityEnvironment({ heartbeatTimeoutMs: 60_000 });
    const beats: ComposedProgress[] = [];
    first.on('heartbeat', (details: ComposedProgress) => beats.push(structuredClone(details)));
    await assert.rejects(first.run(bundle.activities.finalizeRun, request), /LeaseIdMissing|412/);
    const last = beats.at(-1)!;
    assert.deepEqual(Object.keys(last.done), ['verifyRunOutputs']);
    assert.equal(last.step, 'collateRunOutputs');
    assert.deepEqual(last.progress, { page: 0, lads: LADS_PER_GROUP, collated: LADS_PER_GROUP * 10 });

    const collatedEtag = (await container.getBlobClient(`England/2012/ass_${lads[0]}_MSOA11_2012.csv`).getProperties()).etag;
    await lease.breakLease(0);
    const retry = new MockActivityEnvironment({ heartbeatDetails: last, heartbeatTimeoutMs: 60_000 });
    const retried: ComposedProgress[] = [];
    retry.on('heartbeat', (details: ComposedProgress) => retried.push(structuredClone(details)));
    const result = (await retry.run(bundle.activities.finalizeRun, request)) as FinalizeRunResult;
    // It went on with collation's last group: verify was not run again, the first group not copied again.
    assert.deepEqual(retried[0], { done: last.done, step: 'collateRunOutputs', progress: { page: 0, lads: lads.length, collated: lads.length * 10 } });

    assert.equal(result.manifest, 'manifest.json');
    assert.deepEqual(result.finalCheck, { ok: true, problems: 0 });
    assert.equal(result.collated, lads.length * 10);
    assert.deepEqual(result.cleanedUp, []);
    assert.match(result.lineage.inputHash, /^sha256:/);
    assert.equal((await container.getBlobClient(`England/2012/ass_${lads[0]}_MSOA11_2012.csv`).getProperties()).etag, collatedEtag, 'the first group was not copied again');
    assert.equal(await container.getBlobClient(entriesBlobOf(request.runId, 0)).exists(), false, 'the workspace is deleted');
    const manifest = JSON.parse((await container.getBlobClient('manifest.json').downloadToBuffer()).toString('utf8')) as { lads: { lad: string; files: unknown[]; outputsOk: boolean }[]; collated: number };
    assert.deepEqual(manifest.lads.map((l) => [l.lad, l.files.length, l.outputsOk]), lads.map((lad) => [lad, 69, true]));
    assert.equal(manifest.collated, lads.length * 10);
    await container.delete();
  });
});
