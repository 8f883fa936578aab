import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { cancelRun, getProgress, pauseRun, resumeRun, scaleRun, startSpcRun, type RunHandle } from '../../src/client';
import { loadStackSettings } from '../../src/config';
import { jobIdOf } from '../../src/schemas/names';
import { scalePoolUpdate } from '../../src/workflows/messages';
import { runExecutions } from '../helpers/histories';
import { waitFor } from '../helpers/local-batch';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';
import { findOrBuildTemporal } from '../../src/stack/temporal-binary';

const run = promisify(execFile);

describe('spcRun controls: pause, resume, scale, cancel', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(() => env.close());

  const taskStates = async (jobId: string) => {
    const tasks = await env.batch.client.task.list(jobId);
    return tasks.map((t) => String(t.state));
  };
  const progressUntil = (handle: RunHandle, what: string, ok: (p: Awaited<ReturnType<typeof getProgress>>) => boolean) =>
    waitFor(what, async () => {
      const p = await getProgress(handle);
      return ok(p) ? p : undefined;
    }, 30_000, 100);

  it('pauses (job disabled with wait, nothing new starts), scales the pool up and down, rejects a bad size, resumes and completes', async () => {
    const runId = uniqueId('pause');
    const input = testInput(ladCodes(6), { pool: { dedicatedNodes: 1 }, recipe: { name: 'spenser-sim', options: { durationMs: 500, scale: 0.01 } } });
    const handle = await startSpcRun(env.client, input, { workflowId: runId, taskQueue: env.taskQueue });
    const jobId = jobIdOf(runId);
    await progressUntil(handle, 'a first LAD done', (p) => p.counts.succeeded >= 1);

    await pauseRun(handle, { reason: 'test pause' });
    await waitFor('job disabled', async () => ((await env.batch.client.job.get(jobId)).state === 'disabled' ? true : undefined), 30_000, 50);
    // `wait`: a task running at the pause finishes; after that nothing starts.
    await waitFor('running tasks finished', async () => ((await taskStates(jobId)).includes('running') ? undefined : true), 30_000, 50);
    const completedAtPause = (await taskStates(jobId)).filter((s) => s === 'completed').length;
    const paused = await getProgress(handle);
    assert.equal(paused.paused, true);
    assert.equal(paused.status, 'paused');

    const up = await scaleRun(handle, { dedicatedNodes: 3, reason: 'more' });
    assert.deepEqual(up, { id: paused.pool?.id, targetDedicated: 3, targetLowPriority: 0 });
    await waitFor('3 nodes', async () => ((await env.batch.client.pool.get(up.id)).currentDedicatedNodes === 3 ? true : undefined), 30_000, 50);
    await assert.rejects(handle.executeUpdate(scalePoolUpdate, { args: [{ dedicatedNodes: -1 }] }), (err: unknown) => {
      assert.ok(err instanceof WorkflowUpdateFailedError);
      assert.match(String(err.cause?.message), /dedicatedNodes: must be >= 0/);
      return true;
    });
    const down = await scaleRun(handle, { dedicatedNodes: 2 });
    assert.equal(down.targetDedicated, 2);
    assert.equal((await env.batch.client.pool.get(up.id)).targetDedicatedNodes, 2);

    // Paused for a while: a 500 ms task would have started and finished on one of the free nodes by now.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await taskStates(jobId)).filter((s) => s === 'completed').length, completedAtPause, 'no task ran while paused');
    assert.equal((await taskStates(jobId)).filter((s) => s === 'running').length, 0);

    await resumeRun(handle, { reason: 'test resume' });
    const summary = await handle.result();
    assert.equal(summary.status, 'completed');
    assert.equal(summary.counts.succeeded, 6);
    assert.deepEqual(
      summary.audit.map((a) => a.action),
      ['order', 'pause', 'scalePool', 'scalePool', 'resume'],
    );
    assert.equal(summary.audit[1].reason, 'test pause');
    assert.equal(summary.audit[2].detail, '1+0 -> 3+0 nodes');
    await env.blobs.getContainerClient(summary.container!).delete();
  });

  it('cancels by signal: job terminated, no task running, children closed, ends cancelled with the reason', async () => {
    const runId = uniqueId('cancel');
    const input = testInput(ladCodes(6), {
      pool: { dedicatedNodes: 2 },
      // Long tasks: the cancel must land while LADs run, not once the run finalizes (a cancel then is ignored).
      recipe: { name: 'spenser-sim', options: { durationMs: 20_000, scale: 0.01 } },
      cleanup: { onSuccess: ['job'], onFailure: 'nothing' },
    });
    const handle = await startSpcRun(env.client, input, { workflowId: runId, taskQueue: env.taskQueue });
    const jobId = jobIdOf(runId);
    await waitFor('a running task', async () => ((await taskStates(jobId).catch((): string[] => [])).includes('running') ? true : undefined), 30_000, 50);
    await cancelRun(handle, { reason: 'test cancel' });
    const summary = await handle.result();
    assert.equal(summary.status, 'cancelled');
    assert.equal(summary.reason, 'test cancel');
    assert.equal(summary.counts.total, 6);
    assert.equal(summary.counts.succeeded + summary.counts.cancelled, 6);
    assert.ok(summary.counts.cancelled >= 4);
    assert.equal((await env.batch.client.job.get(jobId)).state, 'completed', 'job terminated');
    assert.ok(!(await taskStates(jobId)).includes('running'), 'no task running');
    await assertChildrenClosed(runId);
    await env.blobs.getContainerClient(summary.container!).delete();
  });

  it('cancels by `temporal workflow cancel`: children cancelled, job cleaned up per policy (deleted), no task running', async () => {
    const runId = uniqueId('tcancel');
    const input = testInput(ladCodes(4), {
      pool: { dedicatedNodes: 2 },
      // Long tasks: the cancel must land while LADs run, not once the run finalizes (a cancel then is ignored).
      recipe: { name: 'spenser-sim', options: { durationMs: 20_000, scale: 0.01 } },
      cleanup: { onSuccess: ['job'], onFailure: ['job', 'container'] },
    });
    const handle = await startSpcRun(env.client, input, { workflowId: runId, taskQueue: env.taskQueue });
    const jobId = jobIdOf(runId);
    await waitFor('a running task', async () => ((await taskStates(jobId).catch((): string[] => [])).includes('running') ? true : undefined), 30_000, 50);
    // The same CLI the stack runs (from PATH or built once into SPC_TOOLS_DIR).
    const temporal = await findOrBuildTemporal(loadStackSettings().SPC_TOOLS_DIR, () => undefined);
    await run(temporal, ['workflow', 'cancel', '--workflow-id', runId, '--address', env.config.SPC_TEMPORAL_ADDRESS, '--namespace', env.config.SPC_TEMPORAL_NAMESPACE]);
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.equal(err.cause?.name, 'CancelledFailure');
      return true;
    });
    await assertChildrenClosed(runId);
    const job = await env.batch.client.job.get(jobId).then(
      (j) => String(j.state),
      (err: { statusCode?: number }) => (err.statusCode === 404 ? 'gone' : Promise.reject(err)),
    );
    assert.ok(['deleting', 'gone'].includes(job), `job cleaned up (state ${job})`);
    const containerName = `spc-${runId}`.toLowerCase();
    assert.equal(await env.blobs.getContainerClient(containerName).exists(), false, 'container deleted per policy');
  });

  async function assertChildrenClosed(runId: string): Promise<void> {
    const executions = await runExecutions(env.client, runId);
    const children = executions.filter((e) => e.type === 'ladRun');
    assert.ok(children.length > 0);
    for (const child of children) {
      const { status } = await env.client.workflow.getHandle(child.workflowId, child.runId).describe();
      assert.notEqual(status.name, 'RUNNING', `${child.workflowId} still running`);
    }
  }
});
