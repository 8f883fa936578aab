/**
 * A run on Spot nodes whose nodes are evicted mid-task (issue 10 item 2): Batch requeues the tasks, which run again;
 * no LAD spends an attempt on it, and the preemptions are counted in the progress query, the summary and the
 * manifest.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSpcRun } from '../../src/client';
import { readManifest } from '../../src/storage/download';
import { jobIdOf, poolIdOf } from '../../src/schemas/names';
import { progressQuery } from '../../src/workflows/messages';
import { waitFor } from '../helpers/local-batch';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

describe('spcRun on Spot nodes', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(() => env.close());

  it('20 LADs with evictions: all succeed with one attempt each, and the preemptions are counted', async () => {
    const lads = ladCodes(20);
    const runId = uniqueId('spot');
    const input = testInput(lads, {
      pool: { dedicatedNodes: 0, spotNodes: 4 },
      recipe: { name: 'custom', command: 'sleep 3 && mkdir -p output && echo "lad,{lad}" > output/{lad}.csv' },
      outputs: { expectedFiles: ['{lad}.csv'] },
      // One attempt: an eviction that cost an attempt would fail its LAD.
      retry: { maxAttempts: 1 },
    });
    const handle = await startSpcRun(env.client, input, { workflowId: runId, taskQueue: env.taskQueue });
    const jobId = jobIdOf(runId);
    // Evict two nodes while their tasks have run for a second (so the worker has seen them start), then two more
    // later in the run.
    for (const [completedBefore, nodes] of [[0, 2], [8, 2]]) {
      const running = await waitFor('tasks well under way', async () => {
        const tasks = await env.batch.client.task.list(jobId, { taskListOptions: { select: 'id,state,executionInfo,nodeInfo' } }).catch(() => []);
        const completed = tasks.filter((t) => t.state === 'completed').length;
        const running = tasks.filter((t) => t.state === 'running' && t.executionInfo?.startTime && Date.now() - new Date(t.executionInfo.startTime).getTime() > 1000);
        return completed >= completedBefore && running.length >= nodes ? running : undefined;
      }, 60_000, 100);
      for (const task of running.slice(0, nodes)) await env.batch.admin.preemptNode(poolIdOf(runId), task.nodeInfo?.nodeId);
    }
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    assert.deepEqual(summary.counts, { total: 20, succeeded: 20, failed: 0, cancelled: 0 });
    assert.ok((summary.preemptions ?? 0) >= 4, `preemptions ${summary.preemptions}`);

    const manifest = await readManifest(env.blobs.getContainerClient(summary.container!));
    assert.ok(manifest.lads.every((l) => l.attempts.length === 1), 'one attempt per LAD');
    const inManifest = manifest.lads.reduce((n, l) => n + (l.attempts[0].preemptions ?? 0), 0);
    assert.equal(inManifest, summary.preemptions);
    // The query of the finished run answers from its last state.
    assert.equal((await handle.query(progressQuery)).preemptions, summary.preemptions);
    await env.blobs.getContainerClient(summary.container!).delete();
  });
});
