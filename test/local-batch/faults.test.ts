import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jsSignedRequest } from '../helpers/batch-raw';
import { rejection, startTestBatch, waitFor, waitForNodes, waitForTask, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

describe('local Batch faults on demand: throttling, latency, failing tasks, preemption', () => {
  let b: TestBatch;
  before(async () => {
    // A preempted node comes back after the allocation delay: long enough to observe it preempted.
    b = await startTestBatch({ allocationDelayMs: 500, faults: { operations: { Job_List: { rate503: 1, retryAfterSeconds: 7 } } } });
  });
  after(() => b.stop());

  it('answers 503 ServerBusy with Retry-After, set at start-up (checked without the SDK retry pipeline)', async () => {
    const busy = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'GET', path: '/jobs' });
    assert.equal(busy.status, 503);
    assert.equal(busy.json?.code, 'ServerBusy');
    assert.equal(busy.headers.get('retry-after'), '7');
    await b.admin.setFaults({ operations: { Job_List: { rate500: 1 } } });
    const internal = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'GET', path: '/jobs' });
    assert.equal(internal.status, 500);
    assert.equal(internal.json?.code, 'InternalError');
    await b.admin.setFaults({ operations: { '*': { latencyMs: 300 } } });
    const started = Date.now();
    await b.client.pool.list();
    assert.ok(Date.now() - started >= 290, 'added latency');
    await b.admin.setFaults({ operations: {} });
  });

  it('answers 429 TooManyRequests with Retry-After (the JS SDK does not retry it), and restores service when cleared', async () => {
    await b.admin.setFaults({ operations: { Pool_List: { rate429: 1, retryAfterSeconds: 3 } } });
    await b.admin.resetStats();
    const err = await rejection(b.client.pool.list());
    assert.equal(err.statusCode, 429);
    assert.equal(err.code, 'TooManyRequests');
    assert.equal(err.response?.headers.get('retry-after'), '3');
    assert.deepEqual((await b.admin.getStats()).requests.Pool_List, { count: 1, byStatus: { '429': 1 } });
    await b.admin.setFaults({ operations: {} });
    await b.client.pool.list();
  });

  it('failNext answers exactly the next N requests of an operation with the given status, code and Retry-After', async () => {
    await b.admin.setFaults({ operations: { Pool_List: { failNext: { count: 2, status: 403, code: 'AuthenticationFailed' } } } });
    for (let i = 0; i < 2; i++) {
      const err = await rejection(b.client.pool.list());
      assert.equal(err.statusCode, 403);
      assert.equal(err.code, 'AuthenticationFailed');
    }
    await b.client.pool.list();
    await b.admin.setFaults({ operations: { Pool_List: { failNext: { count: 1, status: 429, code: 'TooManyRequests', retryAfterSeconds: 40 } } } });
    const throttled = await rejection(b.client.pool.list());
    assert.equal(throttled.response?.headers.get('retry-after'), '40');
    await b.client.pool.list();
    assert.equal((await b.admin.getFaults()).operations?.Pool_List?.failNext?.count, 0, 'spent');
    await b.admin.setFaults({ operations: {} });
  });

  it('failNextTasks fails the next N attempts as a non-zero exit (retried if allowed)', async () => {
    const poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1 });
    await waitForNodes(b.client, poolId, 1);
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await b.admin.setFaults({ failNextTasks: 2 });
    await b.client.task.add(jobId, { id: 'f', commandLine: '/bin/true' });
    const failed = await waitForTask(b.client, jobId, 'f', 'completed');
    assert.equal(failed.executionInfo?.exitCode, 1);
    await b.client.task.add(jobId, { id: 'r', commandLine: '/bin/true', constraints: { maxTaskRetryCount: 1 } });
    const retried = await waitForTask(b.client, jobId, 'r', 'completed');
    assert.equal(retried.executionInfo?.retryCount, 1);
    assert.equal(retried.executionInfo?.exitCode, 0, 'the second injected failure was its first attempt; the retry ran');
    await b.client.task.add(jobId, { id: 'ok', commandLine: '/bin/true' });
    assert.equal((await waitForTask(b.client, jobId, 'ok', 'completed')).executionInfo?.exitCode, 0);
  });

  it('failNextStartTask fails the start task on the next node only', async () => {
    await b.admin.setFaults({ failNextStartTask: true });
    const poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 2, startTask: { commandLine: '/bin/true' } });
    const nodes = await waitFor('one failed, one idle', async () => {
      const list = await b.client.computeNode.list(poolId);
      const states = list.map((n) => n.state).sort();
      return states.join() === 'idle,starttaskfailed' ? list : undefined;
    });
    assert.equal(nodes.length, 2);
  });

  it('preempting a low-priority node requeues its running task, which reruns without counting a retry or requeue', async () => {
    const poolId = uniqueId('spot');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetLowPriorityNodes: 1 });
    const [node] = await waitForNodes(b.client, poolId, 1);
    assert.equal(node.isDedicated, false);
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await b.client.task.add(jobId, { id: 't', commandLine: "/bin/sh -c 'sleep 0.4'", constraints: { maxTaskRetryCount: 0 } });
    const first = await waitForTask(b.client, jobId, 't', 'running');
    const preempted = await b.admin.preemptNode(poolId);
    assert.equal(preempted, node.id);
    const after = await b.client.computeNode.get(poolId, node.id!);
    assert.equal(after.state, 'preempted');
    const requeued = await b.client.task.get(jobId, 't');
    assert.equal(requeued.state, 'active');
    const done = await waitForTask(b.client, jobId, 't', 'completed');
    assert.equal(done.executionInfo?.exitCode, 0);
    assert.equal(done.executionInfo?.retryCount, 0);
    assert.equal(done.executionInfo?.requeueCount, 0);
    assert.ok(done.executionInfo!.startTime! > first.executionInfo!.startTime!, 'a new attempt');
    const pool = await b.client.pool.get(poolId);
    assert.equal(pool.currentLowPriorityNodes, 1);
  });
});
