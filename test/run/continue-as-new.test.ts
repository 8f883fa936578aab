import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cancelRun, getProgress, getRunHandle, startSpcRun } from '../../src/client';
import type { ReapReport } from '../../src/schemas/reaper';
import { waitFor } from '../helpers/local-batch';
import { ManifestSchema } from '../../src/schemas/manifest';
import { runExecutions } from '../helpers/histories';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

describe('spcRun keeps its history bounded', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(() => env.close());

  it('continues as new past the event threshold, carrying its state: every LAD once, counts right', async () => {
    const lads = ladCodes(60);
    const runId = uniqueId('can');
    const input = testInput(lads, {
      pool: { dedicatedNodes: 6 },
      // One small output file per LAD keeps the 60 tasks quick; the 69-file contract is covered by the happy path.
      recipe: { name: 'custom', command: 'mkdir -p output && echo "lad,{lad}" > output/{lad}.csv' },
      outputs: { expectedFiles: ['{lad}.csv'] },
      maxConcurrentLads: 12,
      continueAsNewAfterEvents: 200,
    });
    const handle = await startSpcRun(env.client, input, { workflowId: runId, taskQueue: env.taskQueue });
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    assert.deepEqual(summary.counts, { total: 60, succeeded: 60, failed: 0, cancelled: 0 });
    const parents = (await runExecutions(env.client, runId)).filter((e) => e.type === 'spcRun');
    assert.ok(parents.length >= 2, `continued as new (${parents.length} parent runs)`);
    for (const parent of parents) {
      const events = (await env.client.workflow.getHandle(runId, parent.runId).fetchHistory()).events ?? [];
      assert.ok(events.length < 200 + 12 * 8, `a parent run has ${events.length} events`);
    }
    const manifest = ManifestSchema.parse(
      JSON.parse((await env.blobs.getContainerClient(summary.container!).getBlobClient('manifest.json').downloadToBuffer()).toString('utf8')),
    );
    assert.deepEqual(manifest.lads.map((l) => l.lad), lads);
    assert.ok(manifest.lads.every((l) => l.status === 'succeeded' && l.attempts.length === 1 && l.files.length === 1));
    await env.blobs.getContainerClient(summary.container!).delete();
  });

  it('keeps the pool busy while it continues as new: LADs in flight outlive the run that started them', async () => {
    const lads = ladCodes(36, 'E0700');
    const runId = uniqueId('can-busy');
    const input = testInput(lads, {
      pool: { dedicatedNodes: 3 },
      recipe: { name: 'custom', command: 'sleep 2 && mkdir -p output && echo "lad,{lad}" > output/{lad}.csv' },
      outputs: { expectedFiles: ['{lad}.csv'] },
      maxConcurrentLads: 6,
      continueAsNewAfterEvents: 200,
      // The job is kept so that its tasks' times can be read after the run; the test deletes it.
      cleanup: { onSuccess: ['pool'], onFailure: ['pool'] },
    });
    const handle = await startSpcRun(env.client, input, { workflowId: runId, taskQueue: env.taskQueue });
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    assert.deepEqual(summary.counts, { total: 36, succeeded: 36, failed: 0, cancelled: 0 });
    const parents = (await runExecutions(env.client, runId)).filter((e) => e.type === 'spcRun');
    assert.ok(parents.length >= 2, `continued as new (${parents.length} parent runs)`);

    const tasks = await env.batch.client.task.list(summary.jobId!, { taskListOptions: { select: 'id,executionInfo' } });
    const spans = tasks.map((t) => [Date.parse(String(t.executionInfo!.startTime)), Date.parse(String(t.executionInfo!.endTime))] as const);
    assert.equal(spans.length, 36, 'one task per LAD');
    const gap = longestIdleGapMs(spans);
    // Draining before each continue left the pool idle for seconds (the last LAD's end, the continue, the next starts).
    assert.ok(gap <= 2 * input.pollIntervalMs!, `the pool sat idle for ${gap} ms across ${parents.length - 1} continues`);
    await env.batch.client.job.deleteMethod(summary.jobId!);
    await env.blobs.getContainerClient(summary.container!).delete();
  });

  it('LADs started before a continue: one cancelled alone is reported by the reaper, the rest are cancelled with the run', async () => {
    const [alone, withRun, ...quick] = ladCodes(32, 'E0900');
    const runId = uniqueId('can-adopted');
    const input = testInput([alone, withRun, ...quick], {
      pool: { dedicatedNodes: 3 },
      recipe: { name: 'custom', command: `case {lad} in ${alone}|${withRun}) sleep 300;; esac; mkdir -p output && echo "lad,{lad}" > output/{lad}.csv` },
      outputs: { expectedFiles: ['{lad}.csv'] },
      maxConcurrentLads: 6,
      continueAsNewAfterEvents: 200,
    });
    const handle = await startSpcRun(env.client, input, { workflowId: runId, taskQueue: env.taskQueue });
    const run = getRunHandle(env.client, runId);
    await waitFor('the quick LADs done, past a continue', async () => {
      const parents = (await runExecutions(env.client, runId)).filter((e) => e.type === 'spcRun');
      const { counts } = await getProgress(run);
      return parents.length >= 2 && counts.succeeded === quick.length ? true : undefined;
    }, 120_000, 250);

    // Cancelled on its own (Web UI, CLI): its close reaches only the closed run that started it; the reaper tells the current one.
    await env.client.workflow.getHandle(`${runId}/${alone}`).cancel();
    await env.client.workflow.getHandle(`${runId}/${alone}`).result().catch(() => undefined);
    const report = (await env.client.workflow.execute('spcReaper', { taskQueue: env.taskQueue, workflowId: uniqueId('reaper'), args: [{}] })) as ReapReport;
    assert.deepEqual(report.reaped.filter((r) => r.kind === 'lad').map((r) => [r.id, r.action]), [[`${runId}/${alone}`, 'reported CANCELLED to its run']]);
    await waitFor('the run counts the LAD cancelled', async () => ((await getProgress(run)).counts.cancelled === 1 ? true : undefined), 30_000, 200);

    // The run's cancel reaches the LAD an earlier run of its chain started.
    await cancelRun(run, { reason: 'test: cancel after a continue' });
    const summary = await handle.result();
    assert.equal(summary.status, 'cancelled');
    assert.deepEqual(summary.counts, { total: 32, succeeded: 30, failed: 0, cancelled: 2 });
    const child = await env.client.workflow.getHandle(`${runId}/${withRun}`).describe();
    assert.equal(child.status.name, 'CANCELLED', 'the LAD started before the continue was cancelled with the run');
    await env.blobs.getContainerClient(summary.container!).delete();
  });
});

/** The longest time between the first start and the last end in which no task ran. */
function longestIdleGapMs(spans: readonly (readonly [number, number])[]): number {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let longest = 0;
  let busyUntil = sorted[0][1];
  for (const [start, end] of sorted.slice(1)) {
    longest = Math.max(longest, start - busyUntil);
    busyUntil = Math.max(busyUntil, end);
  }
  return longest;
}
