import { BlobServiceClient, ContainerSASPermissions } from '@azure/storage-blob';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { loadConfig, requireSharedKeys } from '../../src/config';
import { readTaskFile, startTestBatch, waitFor, waitForNodes, waitForTask, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

/** Polls the pool's nodes until `done` says so, recording each node's states in the order first seen. */
async function watchStates(b: TestBatch, poolId: string, done: (seen: Map<string, string[]>) => boolean): Promise<Map<string, string[]>> {
  const seen = new Map<string, string[]>();
  await waitFor('node states', async () => {
    for (const node of await b.client.computeNode.list(poolId)) {
      const states = seen.get(node.id!) ?? [];
      if (states.at(-1) !== node.state) states.push(String(node.state));
      seen.set(node.id!, states);
    }
    return done(seen) ? true : undefined;
  }, 20_000, 10);
  return seen;
}

describe('local Batch Spot nodes and node states: eviction at a set rate, requeue without retries, creating → starting → idle', () => {
  let b: TestBatch | undefined;
  let runsDir: string | undefined;
  afterEach(async () => {
    await b?.stop();
    b = undefined;
    if (runsDir) rmSync(runsDir, { recursive: true, force: true });
  });

  it('evicts Spot nodes at the set rate (never dedicated ones); every task completes with no retry or requeue counted, though some ran twice', async () => {
    b = await startTestBatch({ allocationDelayMs: 50 });
    runsDir = mkdtempSync(path.join(tmpdir(), 'spc-spot-runs-'));
    chmodSync(runsDir, 0o1777); // the tasks (nonadmin: an unprivileged user under a root service) mark their runs here
    const poolId = uniqueId('spot');
    await b.client.pool.add({ id: poolId, vmSize: 'Standard_D2s_v3', targetDedicatedNodes: 1, targetLowPriorityNodes: 3 });
    const nodes = await waitForNodes(b.client, poolId, 4, ['idle']);
    const dedicated = nodes.find((n) => n.isDedicated)!;
    assert.equal(nodes.filter((n) => n.isDedicated === false).length, 3);
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    // Each run appends a line to a file outside the node (node folders are lost on eviction), so reruns show.
    const tasks = Array.from({ length: 16 }, (_, i) => ({
      id: `t${i}`,
      commandLine: `/bin/sh -c 'echo run >> ${runsDir}/t${i}; sleep 0.3'`,
      constraints: { maxTaskRetryCount: 0 },
    }));
    await b.admin.setFaults({ spotEviction: { perNodeHour: 7200, seed: 42 } });
    await b.client.task.addCollection(jobId, tasks);
    const done = await waitFor('all tasks completed', async () => {
      const list = await b!.client.task.list(jobId);
      return list.length === 16 && list.every((t) => t.state === 'completed') ? list : undefined;
    }, 60_000, 50);
    await b.admin.setFaults({ spotEviction: null });
    for (const task of done) {
      assert.equal(task.executionInfo?.exitCode, 0, task.id);
      assert.equal(task.executionInfo?.retryCount, 0, task.id);
      assert.equal(task.executionInfo?.requeueCount, 0, task.id);
    }
    const { evictions } = await b.admin.getQuotas();
    assert.ok(evictions > 0, 'some Spot nodes were evicted');
    const runs = tasks.map((t) => readFileSync(path.join(runsDir!, t.id), 'utf8').trim().split('\n').length);
    assert.ok(runs.some((n) => n > 1), `an evicted running task ran again (runs per task: ${runs.join(',')})`);
    const after = await b.client.computeNode.get(poolId, dedicated.id!);
    assert.notEqual(after.state, 'preempted');
    assert.equal(after.lastBootTime?.getTime(), dedicated.lastBootTime?.getTime(), 'the dedicated node was never evicted');
    const pool = await b.client.pool.get(poolId);
    assert.equal(pool.currentLowPriorityNodes, 3, 'evicted nodes stay in the pool and come back');
  });

  it('a new node is observably creating, then starting, then waiting for its start task, then idle', async () => {
    b = await startTestBatch({ allocationDelayMs: 100, nodeStateDelayMs: 250 });
    const poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'Standard_D2s_v3', targetDedicatedNodes: 1, startTask: { commandLine: "/bin/sh -c 'sleep 0.3'" } });
    const seen = await watchStates(b, poolId, (s) => [...s.values()].some((states) => states.at(-1) === 'idle'));
    assert.deepEqual([...seen.values()][0], ['creating', 'starting', 'waitingforstarttask', 'idle']);
  });

  it('a preempted Spot node comes back through creating and starting to idle, keeping its id', async () => {
    b = await startTestBatch({ allocationDelayMs: 200, nodeStateDelayMs: 200 });
    const poolId = uniqueId('spot');
    await b.client.pool.add({ id: poolId, vmSize: 'Standard_D2s_v3', targetLowPriorityNodes: 1 });
    const [node] = await waitForNodes(b.client, poolId, 1, ['idle']);
    assert.equal(node.isDedicated, false);
    assert.equal(await b.admin.preemptNode(poolId), node.id);
    const seen = await watchStates(b, poolId, (s) => (s.get(node.id!) ?? []).at(-1) === 'idle' && (s.get(node.id!) ?? []).length > 1);
    assert.deepEqual(seen.get(node.id!), ['preempted', 'creating', 'starting', 'idle']);
    assert.equal(seen.size, 1, 'the same node came back');
  });

  it('a task requeued by an eviction downloads its resource files again on the node that came back (its folder was lost)', async () => {
    b = await startTestBatch({ allocationDelayMs: 100 });
    runsDir = mkdtempSync(path.join(tmpdir(), 'spc-spot-runs-'));
    chmodSync(runsDir, 0o1777);
    const blobs = BlobServiceClient.fromConnectionString(requireSharedKeys(loadConfig()).AZURE_STORAGE_CONNECTION_STRING);
    const input = blobs.getContainerClient(uniqueId('lb-spot-in'));
    await input.create();
    try {
      await input.uploadBlockBlob('in.txt', 'input\n', 6);
      const sas = await input.getBlobClient('in.txt').generateSasUrl({ permissions: ContainerSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3600_000) });
      const poolId = uniqueId('spot');
      await b.client.pool.add({ id: poolId, vmSize: 'Standard_D2s_v3', targetLowPriorityNodes: 1 });
      const [node] = await waitForNodes(b.client, poolId, 1, ['idle']);
      const jobId = uniqueId('job');
      await b.client.job.add({ id: jobId, poolInfo: { poolId } });
      // The first run marks itself (outside the node, whose files the eviction loses) and waits to be evicted.
      const first = path.join(runsDir, 'first');
      const commandLine = `/bin/sh -c 'cat in.txt && if [ ! -e ${first} ]; then touch ${first}; sleep 60; fi'`;
      await b.client.task.add(jobId, { id: 't', commandLine, resourceFiles: [{ httpUrl: sas, filePath: 'in.txt' }], constraints: { maxTaskRetryCount: 0 } });
      await waitFor('the first run started', async () => (existsSync(first) ? true : undefined), 20_000);
      assert.equal(await b.admin.preemptNode(poolId), node.id);
      const task = await waitForTask(b.client, jobId, 't', 'completed', 30_000);
      assert.equal(task.nodeInfo?.nodeId, node.id, 'the rerun was on the node that came back under its id');
      assert.equal(task.executionInfo?.exitCode, 0, await readTaskFile(b.client, jobId, 't', 'stderr.txt'));
      assert.equal(await readTaskFile(b.client, jobId, 't', 'wd/in.txt'), 'input\n');
    } finally {
      await input.deleteIfExists();
    }
  });
});
