import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jsSignedRequest } from '../helpers/batch-raw';
import { readTaskFile, rejection, startTestBatch, waitFor, waitForNodes, waitForTask, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

describe('local Batch: dependencies, job wall clock, conditional requests, reactivate, node counts, remove nodes', () => {
  let b: TestBatch;
  let poolId: string;
  before(async () => {
    // Long enough to observe a rebooting node on a loaded machine.
    b = await startTestBatch({ allocationDelayMs: 400 });
    poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 2, taskSlotsPerNode: 4 });
    await waitForNodes(b.client, poolId, 2);
  });
  after(() => b.stop());

  it('a task with dependsOn runs after its dependencies succeed; a failed dependency blocks it', async () => {
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId }, usesTaskDependencies: true });
    await b.client.task.addCollection(jobId, [
      { id: 'after', commandLine: '/bin/true', dependsOn: { taskIds: ['first'], taskIdRanges: [{ start: 1, end: 2 }] } },
      { id: 'blocked', commandLine: '/bin/true', dependsOn: { taskIds: ['bad'] } },
      { id: 'first', commandLine: '/bin/sleep 0.3' },
      { id: '1', commandLine: '/bin/true' },
      { id: '2', commandLine: '/bin/true' },
      { id: 'bad', commandLine: '/bin/false' },
    ]);
    const first = await waitForTask(b.client, jobId, 'first', 'completed');
    const afterTask = await waitForTask(b.client, jobId, 'after', 'completed');
    assert.ok(afterTask.executionInfo!.startTime! >= first.executionInfo!.endTime!);
    await waitForTask(b.client, jobId, 'bad', 'completed');
    assert.equal((await b.client.task.get(jobId, 'blocked')).state, 'active');
    const undeclared = uniqueId('job');
    await b.client.job.add({ id: undeclared, poolInfo: { poolId } });
    const err = await rejection(b.client.task.add(undeclared, { id: 'x', commandLine: '/bin/true', dependsOn: { taskIds: ['y'] } }));
    assert.equal(err.code, 'TaskDependenciesNotSpecifiedOnJob');
  });

  it("a job's maxWallClockTime terminates it with MaxWallClockTimeExpiry", async () => {
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId }, constraints: { maxWallClockTime: 'PT0.5S' } });
    await b.client.task.add(jobId, { id: 'long', commandLine: '/bin/sleep 30' });
    const job = await waitFor('job completed', async () => {
      const j = await b.client.job.get(jobId);
      return j.state === 'completed' ? j : undefined;
    });
    assert.equal(job.executionInfo?.terminateReason, 'MaxWallClockTimeExpiry');
    assert.equal((await b.client.task.get(jobId, 'long')).executionInfo?.failureInfo?.code, 'TaskEnded');
  });

  it('If-Match with a stale ETag is 412 ConditionNotMet and changes nothing; If-None-Match with the current one is 304', async () => {
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId }, priority: 1 });
    const job = await b.client.job.get(jobId);
    await b.client.job.patch(jobId, { priority: 2 });
    const stale = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, {
      method: 'PATCH',
      path: `/jobs/${jobId}`,
      body: JSON.stringify({ priority: 3 }),
      headers: { 'If-Match': job.eTag! },
    });
    assert.equal(stale.status, 412);
    assert.equal(stale.json?.code, 'ConditionNotMet');
    const current = await b.client.job.get(jobId);
    assert.equal(current.priority, 2);
    const cached = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'GET', path: `/jobs/${jobId}`, headers: { 'If-None-Match': current.eTag! } });
    assert.equal(cached.status, 304);
    await b.client.job.patch(jobId, { priority: 4 }, { jobPatchOptions: { ifMatch: current.eTag } });
    assert.equal((await b.client.job.get(jobId)).priority, 4);
  });

  it('reactivate (204) reruns a failed task with retryCount reset; update (PUT) changes its constraints', async () => {
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await b.client.task.add(jobId, { id: 'flaky', commandLine: "/bin/sh -c 'test -f ../ran && exit 0; touch ../ran; exit 5'" });
    const failed = await waitForTask(b.client, jobId, 'flaky', 'completed');
    assert.equal(failed.executionInfo?.exitCode, 5);
    await b.client.task.update(jobId, 'flaky', { constraints: { maxTaskRetryCount: 1 } }).then(
      () => assert.fail('a completed task cannot be updated'),
      (e: { code: string }) => assert.equal(e.code, 'TaskCompleted'),
    );
    await b.client.task.reactivate(jobId, 'flaky');
    const rerun = await waitFor('rerun done', async () => {
      const t = await b.client.task.get(jobId, 'flaky');
      return t.state === 'completed' && t.executionInfo?.exitCode === 0 ? t : undefined;
    });
    assert.equal(rerun.executionInfo?.retryCount, 0);
    assert.equal(rerun.executionInfo?.result, 'success');
    await b.client.task.add(jobId, { id: 'upd', commandLine: '/bin/sleep 30' });
    await b.client.task.update(jobId, 'upd', { constraints: { maxWallClockTime: 'PT0.3S' } });
    const ended = await waitForTask(b.client, jobId, 'upd', 'completed');
    assert.equal(ended.constraints?.maxWallClockTime, 'PT0.3S');
  });

  it('node scheduling can be disabled (offline, no tasks) and enabled; a reboot requeues the running task and reruns the start task', async () => {
    const nodePool = uniqueId('pool');
    await b.client.pool.add({ id: nodePool, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1, startTask: { commandLine: "/bin/sh -c 'echo boot >> $AZ_BATCH_NODE_SHARED_DIR/boots.txt'" } });
    const [node] = await waitForNodes(b.client, nodePool, 1, ['idle']);
    await b.client.computeNode.disableScheduling(nodePool, node.id!);
    const offline = await b.client.computeNode.get(nodePool, node.id!);
    assert.equal(offline.state, 'offline');
    assert.equal(offline.schedulingState, 'disabled');
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId: nodePool } });
    await b.client.task.add(jobId, { id: 't', commandLine: "/bin/sh -c 'sleep 0.5; cat $AZ_BATCH_NODE_SHARED_DIR/boots.txt'" });
    assert.equal((await b.client.task.get(jobId, 't')).state, 'active');
    await b.client.computeNode.enableScheduling(nodePool, node.id!);
    await waitForTask(b.client, jobId, 't', 'running');
    await b.client.computeNode.reboot(nodePool, node.id!, { nodeRebootOption: 'requeue' });
    const requeued = await b.client.task.get(jobId, 't');
    assert.equal(requeued.state, 'active');
    assert.equal(requeued.executionInfo?.requeueCount, 1);
    assert.equal((await b.client.computeNode.get(nodePool, node.id!)).state, 'rebooting');
    await waitForTask(b.client, jobId, 't', 'completed');
    assert.equal(await readTaskFile(b.client, jobId, 't', 'stdout.txt'), 'boot\nboot\n', 'the start task ran again after the reboot');
  });

  it('lists node counts per pool and removes a named node (removenodes, 202)', async () => {
    const counts = await b.client.account.listPoolNodeCounts();
    const mine = counts.find((c) => c.poolId === poolId);
    assert.equal(mine?.dedicated?.total, 2);
    const [node] = await b.client.computeNode.list(poolId);
    await b.client.pool.removeNodes(poolId, { nodeList: [node.id!] });
    const left = await waitForNodes(b.client, poolId, 1);
    assert.notEqual(left[0].id, node.id);
    assert.equal((await b.client.pool.get(poolId)).targetDedicatedNodes, 1);
  });
});
