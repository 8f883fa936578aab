import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jsSignedRequest } from '../helpers/batch-raw';
import { readTaskFile, rejection, startTestBatch, waitFor, waitForNodes, waitForTask, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

describe('local Batch pools: allocation, nodes, resize, start task, delete', () => {
  let b: TestBatch;
  before(async () => {
    // Long enough to observe transitional states (resizing, 409 while resizing) on a loaded machine.
    b = await startTestBatch({ allocationDelayMs: 400 });
  });
  after(() => b.stop());

  it('a new pool is resizing, then steady with its nodes idle; exists, list and patch work', async () => {
    const poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 2, targetLowPriorityNodes: 1, taskSlotsPerNode: 3 });
    const fresh = await b.client.pool.get(poolId);
    assert.equal(fresh.allocationState, 'resizing');
    assert.equal(fresh.state, 'active');
    assert.equal(fresh.taskSchedulingPolicy?.nodeFillType, 'spread');
    const nodes = await waitForNodes(b.client, poolId, 3, ['idle']);
    assert.equal(nodes.filter((n) => n.isDedicated).length, 2);
    assert.match(nodes[0].id!, /^tvm-/);
    const steady = await b.client.pool.get(poolId);
    assert.equal(steady.currentDedicatedNodes, 2);
    assert.equal(steady.currentLowPriorityNodes, 1);
    assert.equal(await b.client.pool.exists(poolId).then((r) => r.body), true);
    assert.equal(await b.client.pool.exists(uniqueId('absent')).then((r) => r.body), false);
    assert.ok((await b.client.pool.list()).some((p) => p.id === poolId));
    await b.client.pool.patch(poolId, { metadata: [{ name: 'owner', value: 'tests' }] });
    assert.deepEqual((await b.client.pool.get(poolId)).metadata, [{ name: 'owner', value: 'tests' }]);
    const dup = await rejection(b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1 }));
    assert.equal(dup.code, 'PoolExists');
  });

  it('rejects a resizeTimeout under 5 minutes and a resize while resizing (409)', async () => {
    const poolId = uniqueId('pool');
    const short = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, {
      method: 'POST',
      path: '/pools',
      body: JSON.stringify({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1, resizeTimeout: 'PT1M' }),
    });
    assert.equal(short.status, 400);
    assert.equal((short.json?.values as { value: string }[])[0].value, 'resizeTimeout');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1 });
    const busy = await rejection(b.client.pool.resize(poolId, { targetDedicatedNodes: 2 }));
    assert.equal(busy.statusCode, 409);
    await waitForNodes(b.client, poolId, 1);
    await b.client.pool.resize(poolId, { targetDedicatedNodes: 3 });
    await waitForNodes(b.client, poolId, 3);
    await b.client.pool.resize(poolId, { targetDedicatedNodes: 0 });
    await b.client.pool.stopResize(poolId);
    const stopped = await waitFor('steady after stop', async () => {
      const pool = await b.client.pool.get(poolId);
      return pool.allocationState === 'steady' ? pool : undefined;
    });
    assert.equal(stopped.currentDedicatedNodes, 3, 'stopResize keeps the nodes it had');
  });

  it('shrinking with requeue puts the running task back in the queue (requeueCount 1) and it runs again', async () => {
    const poolId = uniqueId('pool');
    const jobId = uniqueId('job');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1 });
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await b.client.task.add(jobId, { id: 't', commandLine: "/bin/sh -c 'sleep 0.5; echo done'" });
    const first = await waitForTask(b.client, jobId, 't', 'running');
    await b.client.pool.resize(poolId, { targetDedicatedNodes: 0, nodeDeallocationOption: 'requeue' });
    const requeued = await waitForTask(b.client, jobId, 't', 'active');
    assert.equal(requeued.executionInfo?.requeueCount, 1);
    await waitForNodes(b.client, poolId, 0);
    await b.client.pool.resize(poolId, { targetDedicatedNodes: 1 });
    const done = await waitForTask(b.client, jobId, 't', 'completed');
    assert.equal(done.executionInfo?.exitCode, 0);
    assert.equal(done.executionInfo?.retryCount, 0);
    assert.notEqual(done.nodeInfo?.nodeId, first.nodeInfo?.nodeId);
  });

  it('shrinking with terminate ends the running task with failure info and does not rerun it', async () => {
    const poolId = uniqueId('pool');
    const jobId = uniqueId('job');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1 });
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await b.client.task.add(jobId, { id: 't', commandLine: '/bin/sleep 30' });
    await waitForTask(b.client, jobId, 't', 'running');
    await b.client.pool.resize(poolId, { targetDedicatedNodes: 0, nodeDeallocationOption: 'terminate' });
    const ended = await waitForTask(b.client, jobId, 't', 'completed');
    assert.equal(ended.executionInfo?.result, 'failure');
    assert.equal(ended.executionInfo?.failureInfo?.code, 'TaskEnded');
    assert.equal(ended.executionInfo?.requeueCount, 0);
    await waitForNodes(b.client, poolId, 0);
  });

  it('shrinking with taskcompletion lets the running task finish before the node leaves', async () => {
    const poolId = uniqueId('pool');
    const jobId = uniqueId('job');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1 });
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await b.client.task.add(jobId, { id: 't', commandLine: '/bin/sleep 0.5' });
    await waitForTask(b.client, jobId, 't', 'running');
    await b.client.pool.resize(poolId, { targetDedicatedNodes: 0, nodeDeallocationOption: 'taskcompletion' });
    await waitFor('node leaving', async () => ((await b.client.computeNode.list(poolId))[0]?.state === 'leavingpool' ? true : undefined));
    const done = await waitForTask(b.client, jobId, 't', 'completed');
    assert.equal(done.executionInfo?.exitCode, 0);
    assert.equal(done.executionInfo?.requeueCount, 0);
    await waitForNodes(b.client, poolId, 0);
  });

  it('the start task runs once per node before tasks; a failed one marks the node starttaskfailed', async () => {
    const poolId = uniqueId('pool');
    await b.client.pool.add({
      id: poolId,
      vmSize: 'standard_d2s_v3',
      targetDedicatedNodes: 2,
      startTask: { commandLine: "/bin/sh -c 'echo boot >> $AZ_BATCH_NODE_SHARED_DIR/boots.txt'", waitForSuccess: true },
    });
    const nodes = await waitForNodes(b.client, poolId, 2, ['idle']);
    for (const node of nodes) {
      assert.equal(node.startTaskInfo?.state, 'completed');
      assert.equal(node.startTaskInfo?.exitCode, 0);
    }
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await b.client.task.add(jobId, { id: 'read', commandLine: "/bin/sh -c 'cat $AZ_BATCH_NODE_SHARED_DIR/boots.txt'" });
    await waitForTask(b.client, jobId, 'read', 'completed');
    assert.equal(await readTaskFile(b.client, jobId, 'read', 'stdout.txt'), 'boot\n', 'one start-task run on the node');

    const badPool = uniqueId('bad');
    await b.client.pool.add({ id: badPool, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1, startTask: { commandLine: '/bin/false', maxTaskRetryCount: 1 } });
    const [bad] = await waitForNodes(b.client, badPool, 1, ['starttaskfailed']);
    assert.equal(bad.startTaskInfo?.result, 'failure');
    assert.equal(bad.startTaskInfo?.retryCount, 1);
    const badJob = uniqueId('job');
    await b.client.job.add({ id: badJob, poolInfo: { poolId: badPool } });
    await b.client.task.add(badJob, { id: 'never', commandLine: '/bin/true' });
    await waitForNodes(b.client, badPool, 1, ['starttaskfailed']);
    assert.equal((await b.client.task.get(badJob, 'never')).state, 'active', 'no task runs on a starttaskfailed node');
  });

  it('pack fills one node before the next; spread uses the least loaded node', async () => {
    for (const fill of ['pack', 'spread'] as const) {
      const poolId = uniqueId(fill);
      await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 2, taskSlotsPerNode: 2, taskSchedulingPolicy: { nodeFillType: fill } });
      await waitForNodes(b.client, poolId, 2);
      const jobId = uniqueId('job');
      await b.client.job.add({ id: jobId, poolInfo: { poolId } });
      await b.client.task.add(jobId, { id: 'a', commandLine: '/bin/sleep 30' });
      const a = await waitForTask(b.client, jobId, 'a', 'running');
      await b.client.task.add(jobId, { id: 'b', commandLine: '/bin/sleep 30' });
      const bTask = await waitForTask(b.client, jobId, 'b', 'running');
      if (fill === 'pack') assert.equal(bTask.nodeInfo?.nodeId, a.nodeInfo?.nodeId);
      else assert.notEqual(bTask.nodeInfo?.nodeId, a.nodeInfo?.nodeId);
      await b.client.job.terminate(jobId);
    }
  });

  it('delete (202) goes through deleting (409 PoolBeingDeleted on re-add) to 404; its running tasks are requeued', async () => {
    const poolId = uniqueId('pool');
    const jobId = uniqueId('job');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1 });
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await b.client.task.add(jobId, { id: 't', commandLine: '/bin/sleep 30' });
    await waitForTask(b.client, jobId, 't', 'running');
    await b.client.pool.deleteMethod(poolId);
    assert.equal((await b.client.pool.get(poolId)).state, 'deleting');
    const again = await rejection(b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1 }));
    assert.equal(again.code, 'PoolBeingDeleted');
    const task = await waitForTask(b.client, jobId, 't', 'active');
    assert.equal(task.executionInfo?.requeueCount, 1);
    const gone = await waitFor('pool gone', () => b.client.pool.get(poolId).then(() => undefined, (e: { statusCode: number; code: string }) => e));
    assert.equal(gone.code, 'PoolNotFound');
  });
});
