import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getProgress, startSpcRun } from '../../src/client';
import { jobIdOf, poolIdOf } from '../../src/schemas/names';
import { historyOf, runExecutions } from '../helpers/histories';
import { waitFor, withFaults } from '../helpers/local-batch';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

describe('spcRun through Batch trouble', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(() => env.close());

  it('completes through injected 429/503 throttling and 500s on every operation', async () => {
    await withFaults(env.batch, { operations: { '*': { rate429: 0.15, rate503: 0.1, rate500: 0.05, retryAfterSeconds: 1 } } }, async () => {
      const runId = uniqueId('throttle');
      const summary = await (await startSpcRun(env.client, testInput(ladCodes(6)), { workflowId: runId, taskQueue: env.taskQueue })).result();
      assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
      assert.equal(summary.counts.succeeded, 6);
      const stats = await env.batch.admin.getStats();
      const throttled = Object.values(stats.requests).reduce((n, op) => n + (op.byStatus['429'] ?? 0) + (op.byStatus['503'] ?? 0), 0);
      assert.ok(throttled > 0, 'faults were injected');
      await env.blobs.getContainerClient(summary.container!).delete();
    });
  });

  it('completes when a low-priority node is preempted under a running task (the task is requeued)', async () => {
    const runId = uniqueId('preempt');
    const handle = await startSpcRun(
      env.client,
      testInput(ladCodes(4), { pool: { dedicatedNodes: 0, lowPriorityNodes: 2 }, recipe: { name: 'spenser-sim', options: { durationMs: 1500, scale: 0.01 } } }),
      { workflowId: runId, taskQueue: env.taskQueue },
    );
    const jobId = jobIdOf(runId);
    await waitFor('a running task', async () => {
      const tasks = await env.batch.client.task.list(jobId).catch(() => []);
      return tasks.some((t) => t.state === 'running') ? true : undefined;
    }, 30_000, 50);
    const node = await env.batch.admin.preemptNode(poolIdOf(runId));
    assert.ok(node);
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    assert.equal(summary.counts.succeeded, 4);
    await env.blobs.getContainerClient(summary.container!).delete();
  });

  it('Batch refusing the credentials for a while mid-run (403 on listing and on adds): retried, every LAD first time', async () => {
    const runId = uniqueId('auth403');
    const lads = ladCodes(4);
    // As Azure answers during a key rotation or with a skewed clock: below the poller's patience (5 over 60 s).
    // Prepare uses neither operation: the refusals meet the run once its LADs start.
    const refused = { status: 403, code: 'AuthenticationFailed' };
    await withFaults(env.batch, { operations: { Task_List: { failNext: { count: 3, ...refused } }, Task_Add: { failNext: { count: 2, ...refused } } } }, async () => {
      const handle = await startSpcRun(env.client, testInput(lads, { pool: { dedicatedNodes: 2 } }), { workflowId: runId, taskQueue: env.taskQueue });
      const summary = await handle.result();
      assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
      assert.equal(summary.counts.succeeded, 4);
      const stats = await env.batch.admin.getStats();
      assert.ok((stats.requests.Task_List?.byStatus['403'] ?? 0) + (stats.requests.Task_Add?.byStatus['403'] ?? 0) === 5, 'every refusal was served');
      const manifest = JSON.parse((await env.blobs.getContainerClient(summary.container!).getBlobClient('manifest.json').downloadToBuffer()).toString('utf8')) as { lads: { attempts: unknown[] }[] };
      assert.ok(manifest.lads.every((l) => l.attempts.length === 1), 'no LAD needed a second Batch task');
      await env.blobs.getContainerClient(summary.container!).delete();
    });
  });

  it('polls near the heartbeat timeout and a Retry-After longer than it: the awaiting activities stay alive (no heartbeat timeout)', async () => {
    const runId = uniqueId('retry-after');
    const handle = await startSpcRun(
      env.client,
      testInput(ladCodes(3), { timeouts: { heartbeatMs: 3000 }, pollIntervalMs: 2500, recipe: { name: 'spenser-sim', options: { durationMs: 1000, scale: 0.01 } } }),
      { workflowId: runId, taskQueue: env.taskQueue },
    );
    await waitFor('a running task', async () => {
      const tasks = await env.batch.client.task.list(jobIdOf(runId)).catch(() => []);
      return tasks.some((t) => t.state === 'running') ? true : undefined;
    }, 30_000, 50);
    // Two throttled listings in a row: the poller waits 2 x 5 s, over three heartbeat timeouts without a poll.
    await withFaults(env.batch, { operations: { Task_List: { failNext: { count: 2, status: 429, code: 'TooManyRequests', retryAfterSeconds: 5 } } } }, async () => {
      const summary = await handle.result();
      assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
      // A heartbeat timeout would show as a later attempt of the awaiting activity (Temporal retries it).
      for (const e of (await runExecutions(env.client, runId)).filter((x) => x.type === 'ladRun')) {
        const started = ((await historyOf(env.client, e.workflowId, e.runId)).events ?? []).filter((ev) => ev.activityTaskStartedEventAttributes);
        assert.deepEqual(started.map((ev) => ev.activityTaskStartedEventAttributes!.attempt), started.map(() => 1), `${e.workflowId}: every activity on its first attempt`);
      }
      assert.ok(((await env.batch.admin.getStats()).requests.Task_List?.byStatus['429'] ?? 0) >= 2, 'the throttling was served');
      await env.blobs.getContainerClient(summary.container!).delete();
    });
  });

  it('cancelled while prepare is creating the pool: the run ends cancelled and leaves no pool and no job', async () => {
    const runId = uniqueId('cancel-prepare');
    await withFaults(env.batch, { operations: { Pool_Add: { latencyMs: 3000 } } }, async () => {
      await env.batch.admin.resetStats();
      const handle = await startSpcRun(env.client, testInput(ladCodes(2)), { workflowId: runId, taskQueue: env.taskQueue });
      // prepare adds the job first, then the pool (slow here): cancel in between.
      await waitFor('the job exists', async () => ((await env.batch.client.job.get(jobIdOf(runId)).catch(() => undefined)) ? true : undefined), 30_000, 50);
      await handle.cancel();
      await assert.rejects(handle.result(), (err: Error) => /cancel/i.test(`${err.message} ${(err.cause as Error | undefined)?.message ?? ''}`));
      // The slow pool add has been served (even if its caller gave up on it): only now can a leaked pool be seen.
      await waitFor('the pool add served', async () => ((await env.batch.admin.getStats()).requests.Pool_Add ? true : undefined), 30_000, 100);
      const pools = (await env.batch.client.pool.list()).filter((p) => p.id === poolIdOf(runId) && p.state !== 'deleting');
      const jobs = (await env.batch.client.job.list()).filter((j) => j.id === jobIdOf(runId) && j.state !== 'deleting');
      assert.deepEqual([...pools.map((p) => p.id), ...jobs.map((j) => j.id)], [], 'nothing of the run is left in Batch');
    });
  });

  it('completes when the local Batch service is restarted mid-run', async () => {
    const runId = uniqueId('restart');
    const lads = ladCodes(8);
    const handle = await startSpcRun(
      env.client,
      testInput(lads, { pool: { dedicatedNodes: 2 }, recipe: { name: 'spenser-sim', options: { durationMs: 700, scale: 0.01 } } }),
      { workflowId: runId, taskQueue: env.taskQueue },
    );
    await waitFor('two LADs done', async () => ((await getProgress(handle)).counts.succeeded >= 2 ? true : undefined), 60_000, 100);
    await env.restartBatch(2000);
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    assert.equal(summary.counts.succeeded, 8);
    await env.blobs.getContainerClient(summary.container!).delete();
  });
});
