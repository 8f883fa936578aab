import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getProgress, startSpcRun } from '../../src/client';
import { jobIdOf, poolIdOf } from '../../src/schemas/names';
import { waitFor } from '../helpers/local-batch';
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
    await env.batch.admin.setFaults({ operations: { '*': { rate429: 0.15, rate503: 0.1, rate500: 0.05, retryAfterSeconds: 1 } } });
    try {
      const runId = uniqueId('throttle');
      const summary = await (await startSpcRun(env.client, testInput(ladCodes(6)), { workflowId: runId, taskQueue: env.taskQueue })).result();
      assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
      assert.equal(summary.counts.succeeded, 6);
      const stats = await env.batch.admin.getStats();
      const throttled = Object.values(stats.requests).reduce((n, op) => n + (op.byStatus['429'] ?? 0) + (op.byStatus['503'] ?? 0), 0);
      assert.ok(throttled > 0, 'faults were injected');
      await env.blobs.getContainerClient(summary.container!).delete();
    } finally {
      await env.batch.admin.setFaults({ operations: {} });
    }
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
