import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rejection, startTestBatch, waitFor, waitForNodes, waitForTask, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

describe('local Batch jobs: lifecycle, onAllTasksComplete, disable/enable, priority', () => {
  let b: TestBatch;
  let poolId: string;
  const waitForJob = (jobId: string, state: string) =>
    waitFor(`job ${jobId} ${state}`, async () => {
      const job = await b.client.job.get(jobId);
      return job.state === state ? job : undefined;
    });
  before(async () => {
    b = await startTestBatch({ allocationDelayMs: 200 });
    poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1, taskSlotsPerNode: 2 });
    await waitForNodes(b.client, poolId, 1);
  });
  after(() => b.stop());

  it('adds, gets, lists and patches a job; a duplicate id is 409 JobExists; an absent pool is accepted', async () => {
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId: uniqueId('later') }, priority: 5 });
    const dup = await rejection(b.client.job.add({ id: jobId.toUpperCase(), poolInfo: { poolId } }));
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.code, 'JobExists');
    await b.client.job.patch(jobId, { priority: 100, metadata: [{ name: 'k', value: 'v' }] });
    const job = await b.client.job.get(jobId);
    assert.equal(job.priority, 100);
    assert.equal(job.state, 'active');
    assert.equal(job.onAllTasksComplete, 'noaction');
    assert.deepEqual(job.metadata, [{ name: 'k', value: 'v' }]);
    const listed = await b.client.job.list({ jobListOptions: { filter: `id eq '${jobId}'` } });
    assert.deepEqual(listed.map((j) => j.id), [jobId]);
  });

  it('a job created with terminatejob and no tasks completes at once with AllTasksComplete', async () => {
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId }, onAllTasksComplete: 'terminatejob' });
    const job = await waitForJob(jobId, 'completed');
    assert.equal(job.executionInfo?.terminateReason, 'AllTasksComplete');
  });

  it('patching onAllTasksComplete to terminatejob after adding tasks completes the job when they finish', async () => {
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await b.client.task.add(jobId, { id: 't', commandLine: '/bin/true' });
    await b.client.job.patch(jobId, { onAllTasksComplete: 'terminatejob' });
    await waitForTask(b.client, jobId, 't', 'completed');
    const job = await waitForJob(jobId, 'completed');
    assert.equal(job.executionInfo?.terminateReason, 'AllTasksComplete');
    const late = await rejection(b.client.task.add(jobId, { id: 'late', commandLine: '/bin/true' }));
    assert.equal(late.statusCode, 409);
    assert.equal(late.code, 'JobCompleted');
  });

  it('terminate (202) kills running tasks, leaves active ones active, and completes the job', async () => {
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId }, maxParallelTasks: 1 });
    await b.client.task.add(jobId, { id: 'run', commandLine: '/bin/sleep 30' });
    await waitForTask(b.client, jobId, 'run', 'running');
    await b.client.task.add(jobId, { id: 'queued', commandLine: '/bin/true' });
    await b.client.job.terminate(jobId, { jobTerminateOptions: {} });
    const job = await waitForJob(jobId, 'completed');
    assert.equal(job.executionInfo?.terminateReason, 'UserTerminate');
    const run = await b.client.task.get(jobId, 'run');
    assert.equal(run.state, 'completed');
    assert.equal(run.executionInfo?.failureInfo?.code, 'TaskEnded');
    assert.equal((await b.client.task.get(jobId, 'queued')).state, 'active');
  });

  it('delete (202) goes through deleting (409 JobBeingDeleted) to 404 JobNotFound', async () => {
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await b.client.task.add(jobId, { id: 't', commandLine: '/bin/sleep 30' });
    await b.client.job.deleteMethod(jobId);
    const job = await b.client.job.get(jobId);
    assert.equal(job.state, 'deleting');
    const again = await rejection(b.client.job.add({ id: jobId, poolInfo: { poolId } }));
    assert.equal(again.code, 'JobBeingDeleted');
    const gone = await waitFor('job gone', () => b.client.job.get(jobId).then(() => undefined, (e: { statusCode: number; code: string }) => e));
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.code, 'JobNotFound');
  });

  for (const option of ['requeue', 'terminate', 'wait'] as const) {
    it(`disable with ${option} then enable`, async () => {
      const jobId = uniqueId(`dis-${option}`);
      await b.client.job.add({ id: jobId, poolInfo: { poolId }, maxParallelTasks: 1 });
      const command = option === 'wait' ? '/bin/sleep 0.5' : "/bin/sh -c 'echo x >> ../runs.txt; sleep 30'";
      await b.client.task.add(jobId, { id: 'task', commandLine: command });
      await waitForTask(b.client, jobId, 'task', 'running');
      await b.client.job.disable(jobId, option);
      await waitForJob(jobId, 'disabled');
      await b.client.task.add(jobId, { id: 'after', commandLine: '/bin/true' });
      if (option === 'requeue') {
        const task = await waitForTask(b.client, jobId, 'task', 'active');
        assert.equal(task.executionInfo?.requeueCount, 1);
        assert.equal(task.executionInfo?.retryCount, 0);
      } else if (option === 'terminate') {
        const task = await waitForTask(b.client, jobId, 'task', 'completed');
        assert.equal(task.executionInfo?.failureInfo?.code, 'TaskEnded');
      } else {
        const task = await waitForTask(b.client, jobId, 'task', 'completed');
        assert.equal(task.executionInfo?.exitCode, 0, 'wait lets the running task finish');
      }
      assert.equal((await b.client.task.get(jobId, 'after')).state, 'active', 'no task starts while the job is disabled');
      await b.client.job.enable(jobId);
      await waitForJob(jobId, 'active');
      if (option === 'requeue') {
        // The requeued task was queued first and runs again after enable (maxParallelTasks 1).
        await waitForTask(b.client, jobId, 'task', 'running');
        await b.client.task.terminate(jobId, 'task');
      }
      await waitForTask(b.client, jobId, 'after', 'completed');
      await b.client.job.terminate(jobId);
    });
  }

  it('higher-priority jobs get free slots first', async () => {
    const lowJob = uniqueId('low');
    const highJob = uniqueId('high');
    const blockJob = uniqueId('block');
    await b.client.job.add({ id: blockJob, poolInfo: { poolId }, priority: 1000 });
    await b.client.task.addCollection(blockJob, [
      { id: 'b1', commandLine: '/bin/sleep 30' },
      { id: 'b2', commandLine: '/bin/sleep 30' },
    ]);
    await waitForTask(b.client, blockJob, 'b1', 'running');
    await waitForTask(b.client, blockJob, 'b2', 'running');
    await b.client.job.add({ id: lowJob, poolInfo: { poolId }, priority: -10 });
    await b.client.task.add(lowJob, { id: 'low', commandLine: '/bin/sleep 0.2' });
    await b.client.job.add({ id: highJob, poolInfo: { poolId }, priority: 10 });
    await b.client.task.add(highJob, { id: 'high', commandLine: '/bin/sleep 0.2' });
    await b.client.task.terminate(blockJob, 'b1');
    const high = await waitForTask(b.client, highJob, 'high', 'running');
    assert.equal((await b.client.task.get(lowJob, 'low')).state, 'active');
    await waitForTask(b.client, highJob, 'high', 'completed');
    const low = await waitForTask(b.client, lowJob, 'low', 'completed');
    assert.ok(low.executionInfo!.startTime! >= high.executionInfo!.startTime!);
    await b.client.job.terminate(blockJob);
  });
});
