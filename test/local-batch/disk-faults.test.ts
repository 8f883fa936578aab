import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jsSignedRequest } from '../helpers/batch-raw';
import { readTaskFile, startTestBatch, waitFor, waitForNodes, waitForTask, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

/** Writes `count` small files under `dir`, 100 per sub-folder. */
function writeTree(dir: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const sub = path.join(dir, String(Math.floor(i / 100)));
    if (i % 100 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, `${i}.txt`), 'x');
  }
}

describe('local Batch under disk faults: folders that cannot be made, big trees removed off the request path', () => {
  let b: TestBatch;
  const unhandled: unknown[] = [];
  const record = (err: unknown) => unhandled.push(err);
  before(async () => {
    process.on('unhandledRejection', record);
    b = await startTestBatch();
  });
  after(async () => {
    process.off('unhandledRejection', record);
    await b.stop();
    assert.deepEqual(unhandled, [], 'no rejection was left unhandled');
  });

  const nodeRoot = (poolId: string, nodeId: string) => path.join(b.dataDir, 'nodes', poolId, nodeId);
  const trash = () => readdirSync(path.join(b.dataDir, 'trash'));

  it('a task whose working folder cannot be created completes with a server error; the service runs the next task', async () => {
    const poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1 });
    const [node] = await waitForNodes(b.client, poolId, 1);
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    // A file where the job's folder should go: mkdir fails (ENOTDIR), as it would on a full or broken disk.
    writeFileSync(path.join(nodeRoot(poolId, node.id!), 'workitems', jobId), 'in the way');
    await b.client.task.add(jobId, { id: 'blocked', commandLine: '/bin/true', constraints: { maxTaskRetryCount: 2 } });
    const blocked = await waitForTask(b.client, jobId, 'blocked', 'completed');
    assert.equal(blocked.executionInfo?.result, 'failure');
    assert.equal(blocked.executionInfo?.exitCode, undefined, 'it never ran');
    assert.equal(blocked.executionInfo?.retryCount, 0, 'a pre-processing failure is not retried');
    assert.equal(blocked.executionInfo?.failureInfo?.category, 'servererror');
    assert.equal(blocked.executionInfo?.failureInfo?.code, 'TaskDirectoryCreationFailed');
    assert.match(blocked.executionInfo?.failureInfo?.message ?? '', /working directory .*blocked\/wd could not be created/);

    const otherJob = uniqueId('job');
    await b.client.job.add({ id: otherJob, poolInfo: { poolId } });
    await b.client.task.add(otherJob, { id: 'fine', commandLine: '/bin/true' });
    assert.equal((await waitForTask(b.client, otherJob, 'fine', 'completed')).executionInfo?.exitCode, 0);
  });

  it('a node whose folders cannot be created goes unusable with an error, and a reboot brings it back once they can', async () => {
    const poolId = uniqueId('pool');
    const blocker = path.join(b.dataDir, 'nodes', poolId);
    writeFileSync(blocker, 'in the way');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1 });
    const [node] = await waitForNodes(b.client, poolId, 1, ['unusable']);
    assert.equal(node.errors?.[0]?.code, 'NodeFoldersNotCreated');
    assert.equal((await b.client.pool.get(poolId)).id, poolId, 'the service still answers');
    rmSync(blocker);
    await b.client.computeNode.reboot(poolId, node.id!);
    const [back] = await waitForNodes(b.client, poolId, 1, ['idle']);
    assert.equal(back.errors, undefined);
  });

  it('a pool delete is answered before the removal of a 20,000-file node tree has finished', async () => {
    const poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1 });
    const [node] = await waitForNodes(b.client, poolId, 1);
    const root = nodeRoot(poolId, node.id!);
    writeTree(path.join(root, 'shared', 'many'), 20_000);
    assert.deepEqual(trash(), []);
    const answer = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'DELETE', path: `/pools/${poolId}` });
    assert.equal(answer.status, 202);
    // Observed when the answer arrives: the node's path is free, and its tree still waits in the trash.
    assert.throws(() => readdirSync(root), { code: 'ENOENT' });
    assert.equal(trash().length, 1, 'the tree is still being removed when the delete is answered');
    await waitFor('tree removed in the background', async () => (trash().length === 0 ? true : undefined));
    await waitFor('pool gone', () => b.client.pool.get(poolId).then(() => undefined, (err: { statusCode?: number }) => (err.statusCode === 404 ? true : undefined)));
  });

  it('a task deleted and re-added under the same id on the same node keeps its new folder (no race with the removal)', async () => {
    const poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1 });
    const [node] = await waitForNodes(b.client, poolId, 1);
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    // Retention of 0.5 s on the first incarnation: its clean-up timer must die with it, not remove the second's folder.
    await b.client.task.add(jobId, { id: 'same', commandLine: '/bin/true', constraints: { retentionTime: 'PT0.5S' } });
    await waitForTask(b.client, jobId, 'same', 'completed');
    writeTree(path.join(nodeRoot(poolId, node.id!), 'workitems', jobId, 'job-1', 'same', 'wd', 'old'), 5_000);
    await b.client.task.deleteMethod(jobId, 'same');
    await b.client.task.add(jobId, { id: 'same', commandLine: "/bin/sh -c 'echo fresh > out.txt; sleep 0.2; cat out.txt'" });
    const again = await waitForTask(b.client, jobId, 'same', 'completed');
    assert.equal(again.executionInfo?.exitCode, 0);
    assert.equal(await readTaskFile(b.client, jobId, 'same', 'stdout.txt'), 'fresh\n');
    // A witness with the same 0.5 s retention, completed after the first incarnation: once its files are cleaned up,
    // the first incarnation's timer (had it survived the delete) would have fired too.
    await b.client.task.add(jobId, { id: 'witness', commandLine: '/bin/true', constraints: { retentionTime: 'PT0.5S' } });
    await waitForTask(b.client, jobId, 'witness', 'completed');
    await waitFor('witness cleaned up', () =>
      b.client.file.listFromTask(jobId, 'witness').then(() => undefined, (err: { code?: string }) => (err.code === 'TaskFilesCleanedup' ? true : undefined)),
    );
    assert.equal(await readTaskFile(b.client, jobId, 'same', 'wd/out.txt'), 'fresh\n');
    assert.deepEqual(
      (await b.client.file.listFromTask(jobId, 'same', { recursive: true })).map((f) => f.name).filter((n) => n?.startsWith('wd/old')),
      [],
      'nothing of the first incarnation is left in the new folder',
    );
  });
});
