/**
 * awaitLadTask under the SDK's MockActivityEnvironment (its activity context without a worker), against a real
 * local Batch service and Azurite: a retried attempt resumes from its heartbeat details instead of submitting its
 * task again, and a cancelled attempt terminates its Batch task before it ends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CancelledFailure } from '@temporalio/common';
import type { MetricMeter } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivityBundle, type ActivityBundle } from '../../src/activities';
import type { AwaitLadTaskRequest, AwaitProgress } from '../../src/activities/batch-tasks';
import type { LadAttempt } from '../../src/schemas/lad';
import { taskIdOf } from '../../src/schemas/names';
import { RecipeSchema } from '../../src/schemas/run-input';
import { startTestBatch, waitForNodes, waitForTask, type TestBatch } from '../helpers/local-batch';
import { ensureStack, uniqueId } from '../helpers/stack';

/** Records the Batch requests the activities make (the metric our Batch client emits for every HTTP call). */
function requestRecorder(): { meter: () => MetricMeter; operations: string[] } {
  const operations: string[] = [];
  const counter = { add: (_n: number, tags: Record<string, string> = {}) => operations.push(tags.operation ?? '') };
  return { meter: () => ({ createCounter: () => counter }) as unknown as MetricMeter, operations };
}

describe('awaitLadTask in a MockActivityEnvironment', () => {
  let b: TestBatch;
  let bundle: ActivityBundle;
  let recorder: ReturnType<typeof requestRecorder>;
  const poolId = uniqueId('pool');
  const jobId = uniqueId('job');

  before(async () => {
    const config = await ensureStack();
    b = await startTestBatch();
    recorder = requestRecorder();
    bundle = createActivityBundle({ ...config, AZURE_BATCH_URL: b.service.url, AZURE_BATCH_ACCOUNT: b.accountName, AZURE_BATCH_KEY: b.accountKey }, {}, recorder.meter);
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1, taskSlotsPerNode: 2 });
    await waitForNodes(b.client, poolId, 1);
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
  });

  after(async () => {
    bundle?.close();
    await b?.stop();
  });

  const request = (lad: string, command: string): AwaitLadTaskRequest => ({
    runId: 'mock-run',
    lad,
    attempt: 1,
    jobId,
    container: 'mock-run',
    recipe: RecipeSchema.parse({ name: 'custom', command }),
    taskMs: 60_000,
    pollIntervalMs: 100,
  });
  const taskAdds = () => recorder.operations.filter((op) => op === 'POST /jobs/{id}/tasks').length;

  it('resumes from its heartbeat details: no second submission, the existing task’s outcome', async () => {
    const lad = 'E06000001';
    const taskId = taskIdOf(lad, 1);
    await b.client.task.add(jobId, { id: taskId, commandLine: "/bin/sh -c 'exit 3'" });
    await waitForTask(b.client, jobId, taskId, 'completed');

    const resumed: AwaitProgress = { taskId, state: 'running', polledAt: new Date().toISOString() };
    const env = new MockActivityEnvironment({ heartbeatDetails: resumed, heartbeatTimeoutMs: 3000 });
    const beats: AwaitProgress[] = [];
    env.on('heartbeat', (details: AwaitProgress) => beats.push(details));
    const before = taskAdds();
    const attempt = (await env.run(bundle.activities.awaitLadTask, request(lad, 'exit 0'))) as LadAttempt;
    assert.equal(taskAdds() - before, 0, 'a resumed attempt submitted its task again');
    assert.equal(attempt.outcome, 'failure');
    assert.equal(attempt.exitCode, 3);
    assert.equal(beats[0]?.state, 'running', 'the first heartbeat does not carry the resumed state');

    // The same call without heartbeat details submits (Batch answers TaskExists, which is ours): the check above can fail.
    const fresh = (await new MockActivityEnvironment({ heartbeatTimeoutMs: 3000 }).run(bundle.activities.awaitLadTask, request(lad, 'exit 0'))) as LadAttempt;
    assert.equal(taskAdds() - before, 1);
    assert.equal(fresh.exitCode, 3);
  });

  it('terminates its Batch task when cancelled, and ends cancelled', async () => {
    const lad = 'E06000002';
    const taskId = taskIdOf(lad, 1);
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 3000 });
    const running = new Promise<void>((resolve) => env.on('heartbeat', (details: AwaitProgress) => details.state === 'running' && resolve()));
    const result = env.run(bundle.activities.awaitLadTask, request(lad, 'sleep 60'));
    await running;
    env.cancel();
    await assert.rejects(result, (err: unknown) => err instanceof CancelledFailure);
    const task = await b.client.task.get(jobId, taskId);
    assert.equal(task.state, 'completed', 'the task was left running');
    assert.notEqual(task.executionInfo?.exitCode, 0);
  });
});
