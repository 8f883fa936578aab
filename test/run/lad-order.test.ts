/**
 * Longest first and priorities on the real stack: with a history (a run the input names) in which one LAD is much
 * longer, that LAD starts first and the manifest says why; with no history the LADs start in input order; a
 * higher-priority run's tasks start before a lower one's on a shared pool, and its LADs carry its Temporal priority.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getProgress, startSpcRun } from '../../src/client';
import { ManifestSchema, type Manifest } from '../../src/schemas/manifest';
import { containerOf } from '../../src/schemas/names';
import { priorityKeyOf } from '../../src/schemas/priority';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { waitFor } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

/** A finished run's manifest as an earlier night would have left it: only the fields the plan reads matter. */
function historyManifest(runId: string, seconds: Record<string, number>): Manifest {
  return {
    runId,
    jobId: `spc-${runId}`,
    poolId: `spc-${runId}`,
    container: containerOf(runId),
    writtenAt: new Date().toISOString(),
    lads: Object.entries(seconds).map(([lad, s]) => ({ lad, status: 'succeeded' as const, attempts: [], taskIds: [`${lad}-a1`], durationMs: s * 1000, files: [], outputsOk: true })),
    collated: 0,
    finalCheck: { ok: true, checkedLads: 0, problems: [] },
  };
}

/** The LADs of a manifest by the start of their task. */
const byStart = (manifest: Manifest): string[] => [...manifest.lads].sort((a, b) => Date.parse(a.startTime!) - Date.parse(b.startTime!)).map((l) => l.lad);

describe('LAD order and run priority', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(() => env.close());

  async function manifestOf(container: string): Promise<Manifest> {
    return ManifestSchema.parse(JSON.parse((await env.blobs.getContainerClient(container).getBlobClient('manifest.json').downloadToBuffer()).toString('utf8')));
  }

  it('starts the LAD that took much longer last night first, and records the order and why in the manifest', async () => {
    const lads = ladCodes(5);
    const night = uniqueId('night');
    const container = env.blobs.getContainerClient(containerOf(night));
    await container.create();
    const history = JSON.stringify(historyManifest(night, { [lads[0]]: 60, [lads[1]]: 50, [lads[2]]: 40, [lads[3]]: 30, [lads[4]]: 3000 }));
    await container.getBlockBlobClient('manifest.json').upload(history, Buffer.byteLength(history));

    const runId = uniqueId('lpt');
    const handle = await startSpcRun(env.client, testInput(lads, { pool: { dedicatedNodes: 1 }, durationsFrom: [night] }), { workflowId: runId, taskQueue: env.taskQueue });
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    const manifest = await manifestOf(summary.container!);
    assert.deepEqual(byStart(manifest), [lads[4], lads[0], lads[1], lads[2], lads[3]], 'longest expected first on one slot');
    assert.equal(manifest.order?.used, 'longest-first');
    assert.match(manifest.order!.reason, new RegExp(`expected durations of 5 of 5 LADs from ${night}`));
    assert.deepEqual(manifest.order?.sources, [night]);
    assert.equal(manifest.lads.find((l) => l.lad === lads[4])?.expectedDurationMs, 3_000_000, 'predicted beside actual');
    const progress = await getProgress(handle);
    assert.equal(progress.order?.used, 'longest-first');
    await Promise.all([container.delete(), env.blobs.getContainerClient(summary.container!).delete()]);
  });

  it('keeps input order when there is no history, and says so', async () => {
    const lads = ladCodes(4, 'W0600');
    const runId = uniqueId('noh');
    const handle = await startSpcRun(env.client, testInput(lads, { pool: { dedicatedNodes: 1 } }), { workflowId: runId, taskQueue: env.taskQueue });
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    const manifest = await manifestOf(summary.container!);
    assert.deepEqual(byStart(manifest), lads);
    assert.equal(manifest.order?.used, 'input');
    assert.match(manifest.order!.reason, /^input order: no expected durations/);
    assert.equal((await getProgress(handle)).eta, undefined, 'no ETA from expected durations without them');
    await env.blobs.getContainerClient(summary.container!).delete();
  });

  it("runs a higher-priority run's tasks before a lower one's on a shared pool, and gives its LADs its Temporal priority", async () => {
    const poolId = uniqueId('shared');
    await env.batch.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1, taskSlotsPerNode: 1 });
    const shared = { id: poolId, dedicatedNodes: 1 };
    const recipe = { name: 'spenser-sim' as const, options: { durationMs: 1500, scale: 0.01 } };
    const lowLads = ladCodes(6, 'E0700');
    const low = await startSpcRun(env.client, testInput(lowLads, { pool: shared, recipe, priority: -500 }), { workflowId: uniqueId('low'), taskQueue: env.taskQueue });
    // The low run holds the pool (one running, more queued in Batch) when the urgent one arrives.
    await waitFor('the low run running a LAD', async () => ((await getProgress(low)).counts.running > 0 ? true : undefined), 60_000, 200);
    const highLads = ladCodes(2, 'S1200');
    const high = await startSpcRun(env.client, testInput(highLads, { pool: shared, recipe, priority: 500 }), { workflowId: uniqueId('high'), taskQueue: env.taskQueue });
    const [lowSummary, highSummary] = await Promise.all([low.result(), high.result()]);
    assert.equal(lowSummary.status, 'completed');
    assert.equal(highSummary.status, 'completed');
    const lowStarts = (await manifestOf(lowSummary.container!)).lads.map((l) => Date.parse(l.startTime!)).sort((a, b) => a - b);
    const highEnds = (await manifestOf(highSummary.container!)).lads.map((l) => Date.parse(l.endTime!));
    // Without priorities the earlier job's queued tasks go first: the urgent LADs would run after all six.
    assert.ok(Math.max(...highEnds) <= lowStarts[lowStarts.length - 2], `urgent LADs ended ${highEnds.map((t) => new Date(t).toISOString())}, low LADs started ${lowStarts.map((t) => new Date(t).toISOString())}`);

    const child = await env.client.workflow.getHandle(`${highSummary.runId}/${highLads[0]}`).describe();
    assert.equal(child.priority?.priorityKey, priorityKeyOf(500), 'the LAD workflow inherits the run priority');
    const history = await env.client.workflow.getHandle(`${highSummary.runId}/${highLads[0]}`).fetchHistory();
    const scheduled = history.events?.find((e) => e.activityTaskScheduledEventAttributes)?.activityTaskScheduledEventAttributes;
    assert.ok(scheduled, 'an activity of the LAD');
    const job = await env.batch.client.job.get(lowSummary.jobId!).catch(() => undefined);
    assert.ok(!job || job.priority === -500);
    await Promise.all([lowSummary, highSummary].map((s) => env.blobs.getContainerClient(s.container!).delete()));
    await env.batch.client.pool.deleteMethod(poolId);
  });
});
