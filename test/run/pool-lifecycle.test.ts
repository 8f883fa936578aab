/**
 * The run's pool over a long run (issue 9): a scale-down lets running LADs finish, a node that joins when the start
 * task's first tokens have expired still installs, and a cancel arriving while the run finalizes neither stops
 * it nor starts a second one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getProgress, scaleRun, startSpcRun } from '../../src/client';
import { startTaskExpiryMs } from '../../src/activities/start-task-renewal';
import { jobIdOf, poolIdOf } from '../../src/schemas/names';
import { ManifestSchema } from '../../src/schemas/manifest';
import { historyOf } from '../helpers/histories';
import { waitFor, withFaults } from '../helpers/local-batch';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

/** A custom recipe whose task sleeps, then writes the one expected file. */
const sleeper = (seconds: number) => ({
  recipe: { name: 'custom' as const, command: `sleep ${seconds}; mkdir -p output; echo "lad,{lad}" > output/{lad}.csv` },
  outputs: { expectedFiles: ['{lad}.csv'] },
});

describe('the run pool over a long run: scale-down, late nodes, finalize', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
    // Start-task tokens valid 4 s: a node joining later than that needs the renewed ones.
    await env.startWorker({ SPC_START_TASK_SAS_MS: '4000' });
  });
  after(() => env.close());

  const runningTasks = async (jobId: string) => (await env.batch.client.task.list(jobId).catch(() => [])).filter((t) => t.state === 'running').length;
  const manifestOf = async (container: string) =>
    ManifestSchema.parse(JSON.parse((await env.blobs.getContainerClient(container).getBlobClient('manifest.json').downloadToBuffer()).toString('utf8')));

  it('scaling down while LADs run kills none of them: each runs once, from before the scale to its end', async () => {
    const runId = uniqueId('scale-down');
    const handle = await startSpcRun(env.client, testInput(ladCodes(2), { pool: { dedicatedNodes: 2 }, ...sleeper(5) }), { workflowId: runId, taskQueue: env.taskQueue });
    await waitFor('both LADs running', async () => ((await runningTasks(jobIdOf(runId))) === 2 ? true : undefined), 60_000, 50);
    const scaledAt = Date.now();
    const target = await scaleRun(handle, { dedicatedNodes: 1, reason: 'test: scale down under running tasks' });
    assert.equal(target.targetDedicated, 1);
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    // The recipe's own expected file is what the final check looks for (not the contract's, which it has none of).
    assert.deepEqual(summary.finalCheck, { ok: true, problems: 0 });
    const manifest = await manifestOf(summary.container!);
    for (const lad of manifest.lads) {
      assert.equal(lad.attempts.length, 1, `${lad.lad}: one attempt`);
      // A task requeued by the scale-down would have started again after it.
      assert.ok(lad.startTime && Date.parse(lad.startTime) < scaledAt, `${lad.lad} ran from before the scale-down (started ${lad.startTime})`);
    }
    await env.blobs.getContainerClient(summary.container!).delete();
  });

  it("a node added after the start task's first tokens expired passes its start task and takes LADs", async () => {
    const runId = uniqueId('late-node');
    const inputs = env.blobs.getContainerClient(uniqueId('setup'));
    await inputs.create();
    await inputs.getBlockBlobClient('setup.txt').upload('ready', 5);
    const recipe = { ...sleeper(4).recipe, startCommand: 'grep -q ready setup.txt', startInputFiles: [{ source: { container: inputs.containerName, blob: 'setup.txt' }, filePath: 'setup.txt' }] };
    const handle = await startSpcRun(env.client, testInput(ladCodes(4), { pool: { dedicatedNodes: 1 }, ...sleeper(4), recipe }), { workflowId: runId, taskQueue: env.taskQueue });
    const poolId = poolIdOf(runId);
    await waitFor('a LAD running', async () => ((await runningTasks(jobIdOf(runId))) > 0 ? true : undefined), 60_000, 50);
    const pool = await env.batch.client.pool.get(poolId);
    // Pools are created on Ubuntu 24.04 (22.04's support ends in June 2027).
    assert.deepEqual([pool.virtualMachineConfiguration?.imageReference.offer, pool.virtualMachineConfiguration?.nodeAgentSKUId], ['ubuntu-24_04-lts', 'batch.node.ubuntu 24.04']);
    const firstExpiry = startTaskExpiryMs(pool.startTask);
    assert.ok(firstExpiry, 'the start task reads a SAS URL');
    await waitFor("the start task's first tokens expired", async () => (Date.now() > firstExpiry + 500 ? true : undefined), 30_000, 100);
    await scaleRun(handle, { dedicatedNodes: 2 });
    const states = await waitFor('the late node up', async () => {
      const nodes = await env.batch.client.computeNode.list(poolId);
      const settled = nodes.filter((n) => ['idle', 'running', 'starttaskfailed', 'unusable'].includes(String(n.state)));
      return settled.length === 2 ? settled.map((n) => String(n.state)) : undefined;
    }, 60_000, 100);
    assert.ok(states.every((s) => s === 'idle' || s === 'running'), `both nodes usable: ${states.join(', ')}`);
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    assert.equal(new Set((await manifestOf(summary.container!)).lads.map((l) => l.nodeId)).size, 2, 'the late node ran LADs too');
    await env.blobs.getContainerClient(summary.container!).delete();
    await inputs.delete();
  });

  it('a cancel arriving while the run finalizes is ignored: the run completes, finalize ran once, one manifest', async () => {
    const runId = uniqueId('cancel-finalize');
    // The pool delete in finalize's clean-up takes 3 s: the cancel lands inside finalize.
    await withFaults(env.batch, { operations: { Pool_Delete: { latencyMs: 3000 } } }, async () => {
      const handle = await startSpcRun(env.client, testInput(ladCodes(1), sleeper(0)), { workflowId: runId, taskQueue: env.taskQueue });
      await waitFor('the run finalizing', async () => ((await getProgress(handle)).status === 'finalizing' ? true : undefined), 60_000, 50);
      await handle.cancel();
      const summary = await handle.result();
      assert.equal(summary.status, 'completed');
      assert.ok(summary.audit.some((a) => a.action === 'cancel ignored'), 'the ignored cancel is in the audit trail');
      const events = (await historyOf(env.client, runId)).events ?? [];
      const scheduled = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
      // Each step of finalize once: the cancel started no second finalize.
      const steps = ['verifyRunOutputs', 'collateRunOutputs', 'checkRunOutputs', 'traceRunLineage', 'writeRunManifest', 'cleanUpRun'];
      assert.deepEqual(scheduled.filter((name) => name === 'finalizeRun' || steps.includes(name ?? '')), steps, 'finalize was scheduled once');
      assert.equal((await manifestOf(summary.container!)).lads.length, 1);
      await env.blobs.getContainerClient(summary.container!).delete();
    });
  });
});
