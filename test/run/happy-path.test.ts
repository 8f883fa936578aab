import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getProgress, startSpcRun } from '../../src/client';
import { expectedLadFiles, regionOf, ASSIGNMENT_YEARS } from '../../src/outputs/contract';
import { ManifestSchema } from '../../src/schemas/manifest';
import { Worker } from '@temporalio/worker';
import { historyOf, runExecutions } from '../helpers/histories';
import { ladCodes, startRunEnv, testInput, workflowBundle, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

describe('spcRun happy path over 20 LADs', () => {
  let env: RunEnv;
  let completedRunId: string | undefined;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(() => env.close());

  it('completes every LAD, writes a complete manifest, 69 files per LAD, and collates ass_* by region and year', async () => {
    const lads = [...ladCodes(14), ...ladCodes(3, 'W0600'), ...ladCodes(3, 'S1200')];
    const runId = uniqueId('happy');
    const handle = await startSpcRun(env.client, testInput(lads, { pool: { dedicatedNodes: 5 } }), { workflowId: runId, taskQueue: env.taskQueue });
    const summary = await handle.result();

    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    assert.deepEqual(summary.counts, { total: 20, succeeded: 20, failed: 0, cancelled: 0 });
    assert.equal(summary.finalCheck?.ok, true);
    assert.equal(summary.collated, 200);
    // The default cleanup releases both: a pool left with nodes is billed per node-hour.
    assert.deepEqual(summary.cleanedUp, [`pool ${summary.poolId} deleted`, `job ${summary.jobId} deleted`]);

    const container = env.blobs.getContainerClient(summary.container!);
    const manifest = ManifestSchema.parse(JSON.parse((await container.getBlobClient('manifest.json').downloadToBuffer()).toString('utf8')));
    assert.deepEqual(manifest.lads.map((l) => l.lad).sort(), [...lads].sort());
    // Every task said what ran; the same on all 20, so one provenance entry.
    assert.equal(manifest.provenance?.length, 1, JSON.stringify(manifest.provenance));
    const [ran] = manifest.provenance!;
    assert.deepEqual([ran.file, ran.lads, ran.content.recipe, ran.content.scale], ['spenser-sim.txt', 20, 'spenser-sim', '0.01']);
    assert.match(ran.content.node, /^v\d+\./);
    assert.ok(manifest.lads.every((l) => l.provenance === manifest.provenance![0].id));
    assert.deepEqual(manifest.lineage?.provenance, [ran.id], 'the lineage names what ran');
    for (const entry of manifest.lads) {
      assert.equal(entry.status, 'succeeded');
      assert.equal(entry.outputsOk, true);
      assert.deepEqual(entry.files.map((f) => f.name).sort(), expectedLadFiles(entry.lad).sort());
      assert.ok(entry.files.every((f) => f.size > 0 && f.md5 && f.md5.length > 0), `sizes and MD5 for ${entry.lad}`);
      assert.equal(entry.attempts.length, 1);
      assert.equal(entry.exitCode, 0);
      assert.ok(entry.nodeId && entry.startTime && entry.endTime && entry.durationMs !== undefined);
      assert.deepEqual(entry.taskIds, [`${entry.lad}-a1`]);
    }
    for (const lad of lads) {
      for (const year of ASSIGNMENT_YEARS) {
        const names = [`ass_${lad}_MSOA11_${year}.csv`, `ass_hh_${lad}_OA11_${year}.csv`];
        for (const name of names) assert.ok(await container.getBlobClient(`${regionOf(lad)}/${year}/${name}`).exists(), `${regionOf(lad)}/${year}/${name}`);
      }
    }
    const progress = await getProgress(handle);
    assert.equal(progress.counts.succeeded, 20);
    assert.equal(progress.status, 'completed');
    await container.delete();
    completedRunId = runId;
  });

  it('keeps histories small: <= 18 events per ladRun child, no patch marker in it, and a bounded parent', async () => {
    assert.ok(completedRunId, 'needs the happy-path run');
    const executions = await runExecutions(env.client, completedRunId);
    const children = executions.filter((e) => e.type === 'ladRun');
    assert.equal(children.length, 20);
    for (const child of children) {
      const events = (await historyOf(env.client, child.workflowId, child.runId)).events ?? [];
      // The parent names ladRun's behaviour in its input, so a LAD asks no patch (each would cost it two events).
      assert.ok(events.length <= 18, `${child.workflowId}: ${events.length} events`);
      const patchMarkers = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
      assert.deepEqual(patchMarkers, [], `${child.workflowId}: patch markers`);
    }
    const parent = (await historyOf(env.client, completedRunId)).events ?? [];
    // Each LAD reports its result by signal as well as by its completion (so that it can outlive a continue-as-new):
    // one event more per LAD, and at worst a workflow task of its own (3 events) in a run this small on a loaded
    // machine (larger runs batch them): 12 per LAD before, so at most 16.
    assert.ok(parent.length / 20 <= 16, `parent: ${parent.length} events for 20 LADs`);
  });

  it('replays the recorded spcRun and ladRun histories with the current workflow code (determinism)', async () => {
    assert.ok(completedRunId, 'needs the happy-path run');
    const bundle = await workflowBundle();
    const parent = await env.client.workflow.getHandle(completedRunId).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: bundle }, parent, completedRunId);
    const child = `${completedRunId}/E06000001`;
    await Worker.runReplayHistory({ workflowBundle: bundle }, await env.client.workflow.getHandle(child).fetchHistory(), child);
  });
});
