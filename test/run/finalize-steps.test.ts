/**
 * finalize as named steps (issue 13 item 4): a finished run's history shows each step once, in order, with small
 * payloads; a step that fails part-way (a collated file held under a lease, which Storage refuses to overwrite)
 * resumes from its heartbeat on retry, leaving what the first attempt copied untouched, and the manifest ends complete.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { getProgress, startSpcRun } from '../../src/client';
import { LADS_PER_GROUP } from '../../src/activities/finalize/collate';
import { ASSIGNMENT_YEARS, assignedHouseholdsFile, regionOf } from '../../src/outputs/contract';
import { ManifestSchema } from '../../src/schemas/manifest';
import { containerOf } from '../../src/schemas/names';
import { historyOf } from '../helpers/histories';
import { waitFor } from '../helpers/local-batch';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

const STEPS = ['verifyRunOutputs', 'collateRunOutputs', 'checkRunOutputs', 'traceRunLineage', 'writeRunManifest', 'cleanUpRun'];

describe('finalize as named, resumable steps', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(() => env.close());

  const manifestOf = async (container: ContainerClient) => ManifestSchema.parse(JSON.parse((await container.getBlobClient('manifest.json').downloadToBuffer()).toString('utf8')));
  /** ETags of the collated files of English LADs, by name. */
  const collatedEtags = async (container: ContainerClient) => {
    const etags = new Map<string, string>();
    for await (const blob of container.listBlobsFlat({ prefix: 'England/' })) etags.set(blob.name, blob.properties.etag!);
    return etags;
  };

  it("a finished run's history shows the steps once each, in order, with payloads that name no files", async () => {
    const runId = uniqueId('steps');
    const handle = await startSpcRun(env.client, testInput(ladCodes(2)), { workflowId: runId, taskQueue: env.taskQueue });
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    assert.equal(summary.collated, 20);
    assert.deepEqual(summary.finalCheck, { ok: true, problems: 0 });

    const events = (await historyOf(env.client, runId)).events ?? [];
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name!);
    assert.deepEqual(scheduled.filter((name) => STEPS.includes(name) || name === 'finalizeRun'), STEPS);
    // Between the steps only names and counts: no file list (a LAD's 69 names) passes through the history.
    const stepPayloads = JSON.stringify(events.filter((e) => e.activityTaskCompletedEventAttributes));
    assert.ok(!stepPayloads.includes('ssm_'), 'no file names in the steps\' results');

    const container = env.blobs.getContainerClient(summary.container!);
    const manifest = await manifestOf(container);
    assert.deepEqual(manifest.lads.map((l) => [l.lad, l.status, l.files.length, l.outputsOk]), ladCodes(2).map((lad) => [lad, 'succeeded', 69, true]));
    const workspace = [];
    for await (const blob of container.listBlobsFlat({ prefix: '_spc/finalize/' })) workspace.push(blob.name);
    assert.deepEqual(workspace, [], 'clean-up deleted the finalize workspace');
    await container.delete();
  });

  it('a collation failing part-way resumes on retry: what it copied stays untouched, the rest is copied, the manifest is complete', async () => {
    const lads = ladCodes(LADS_PER_GROUP + 1);
    const last = lads.at(-1)!;
    const runId = uniqueId('resume');
    const container = env.blobs.getContainerClient(containerOf(runId));
    // The last LAD's collated file is taken by another writer (a lease): Storage refuses the copy onto it (412).
    const held = `${regionOf(last)}/${ASSIGNMENT_YEARS.at(-1)}/${assignedHouseholdsFile(last, ASSIGNMENT_YEARS.at(-1)!)}`;
    const handle = await startSpcRun(env.client, testInput(lads), { workflowId: runId, taskQueue: env.taskQueue });
    await waitFor('the run container', async () => ((await container.exists()) ? true : undefined), 60_000, 100);
    await container.getBlockBlobClient(held).upload('x', 1);
    const lease = container.getBlobClient(held).getBlobLeaseClient();
    await lease.acquireLease(-1);

    const converter = env.client.options.loadedDataConverter.payloadConverter;
    const failed = await waitFor('collation failed once, with progress saved', async () => {
      const pending = (await handle.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'collateRunOutputs');
      return pending && (pending.attempt ?? 0) >= 2 && pending.heartbeatDetails?.payloads?.length ? pending : undefined;
    }, 120_000, 100);
    assert.match(failed.lastFailure?.message ?? '', /412|LeaseIdMissing/);
    // The first group of LADs was copied before the failing one: saved as the place to resume.
    assert.deepEqual(converter.fromPayload(failed.heartbeatDetails!.payloads![0]), { page: 0, lads: LADS_PER_GROUP, collated: LADS_PER_GROUP * 10 });
    assert.equal((await getProgress(handle)).status, 'finalizing');
    const before = await collatedEtags(container);
    const firstGroup = [...before.keys()].filter((name) => !name.includes(last));
    assert.equal(firstGroup.length, LADS_PER_GROUP * 10);

    await lease.breakLease(0);
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    assert.equal(summary.collated, lads.length * 10, 'each file counted once');
    assert.deepEqual(summary.finalCheck, { ok: true, problems: 0 });
    const after = await collatedEtags(container);
    for (const name of firstGroup) assert.equal(after.get(name), before.get(name), `${name} was not copied again`);
    assert.equal(after.size, lads.length * 10);
    assert.ok((await container.getBlobClient(held).getProperties()).contentLength! > 1, 'the held file was collated once free');
    const manifest = await manifestOf(container);
    assert.deepEqual(manifest.lads.map((l) => l.lad), lads);
    assert.ok(manifest.lads.every((l) => l.status === 'succeeded' && l.outputsOk && l.files.length === 69));
    assert.equal(manifest.collated, lads.length * 10);
    assert.equal(manifest.finalCheck.ok, true);
    await container.delete();
  });
});
