import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jsSignedRequest } from '../helpers/batch-raw';
import { readTaskFile, rejection, startTestBatch, waitForNodes, waitForTask, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

describe('local Batch isolation: per-node HOME and TMPDIR, a file API that never leaves the task folder', () => {
  let b: TestBatch;
  let poolId: string;
  let outside: string;
  before(async () => {
    b = await startTestBatch();
    poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'Standard_D2s_v3', targetDedicatedNodes: 2 });
    await waitForNodes(b.client, poolId, 2, ['idle']);
    outside = mkdtempSync(path.join(tmpdir(), 'spc-outside-'));
    writeFileSync(path.join(outside, 'secret.txt'), 'not for tasks');
  });
  after(async () => {
    await b.stop();
    rmSync(outside, { recursive: true, force: true });
  });

  it('gives each node its own HOME and TMPDIR under the node folder, not the service user\'s', async () => {
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    // Both at once on a 2-node spread pool with one slot per node: one task per node.
    const command = "/bin/sh -c 'echo $HOME; echo $TMPDIR; echo $AZ_BATCH_NODE_ROOT_DIR; touch $HOME/.rc $TMPDIR/scratch; sleep 0.3'";
    await b.client.task.addCollection(jobId, [{ id: 'a', commandLine: command }, { id: 'b', commandLine: command }]);
    const seen = [];
    for (const id of ['a', 'b']) {
      const task = await waitForTask(b.client, jobId, id, 'completed');
      assert.equal(task.executionInfo?.exitCode, 0, id);
      const [home, tmp, root] = (await readTaskFile(b.client, jobId, id, 'stdout.txt')).trim().split('\n');
      assert.equal(home, path.join(root, 'home'));
      assert.equal(tmp, path.join(root, 'tmp'));
      assert.notEqual(home, process.env.HOME);
      seen.push({ node: task.nodeInfo?.nodeId, home });
    }
    assert.notEqual(seen[0].node, seen[1].node);
    assert.notEqual(seen[0].home, seen[1].home);
  });

  it('refuses symlinks out of the task folder (404) and lists them as files; a delete removes the link, not its target', async () => {
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    const secret = path.join(outside, 'secret.txt');
    await b.client.task.add(jobId, {
      id: 't',
      commandLine: `/bin/sh -c 'echo hello; ln -s ${secret} secret; ln -s ${outside} away; ln -s ../stdout.txt mine'`,
    });
    assert.equal((await waitForTask(b.client, jobId, 't', 'completed')).executionInfo?.exitCode, 0);
    for (const escape of ['wd/secret', 'wd/away/secret.txt', 'wd/away', 'wd/../../../../..' + secret]) {
      assert.equal((await rejection(b.client.file.getFromTask(jobId, 't', escape))).statusCode, 404, escape);
      // The SDK streams file bodies and leaves error codes unparsed: read the code from the raw answer.
      const raw = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, {
        method: 'GET',
        path: `/jobs/${jobId}/tasks/t/files/${encodeURIComponent(escape)}`,
      });
      assert.equal(raw.status, 404, escape);
      assert.equal(raw.json?.code, 'FileNotFound', escape);
    }
    assert.equal((await readTaskFile(b.client, jobId, 't', 'wd/mine')).trim(), 'hello', 'a link inside the folder is fine');
    const names = (await b.client.file.listFromTask(jobId, 't', { recursive: true })).map((f) => ({ name: f.name, dir: f.isDirectory }));
    assert.deepEqual(names.filter((f) => f.name?.startsWith('wd/away')), [{ name: 'wd/away', dir: false }], 'not descended into');
    await b.client.file.deleteFromTask(jobId, 't', 'wd/secret');
    await b.client.file.deleteFromTask(jobId, 't', 'wd/away', { recursive: true });
    assert.ok(existsSync(secret), 'the target of a deleted link is untouched');
    assert.equal((await rejection(b.client.file.getFromTask(jobId, 't', 'wd/away'))).statusCode, 404);
  });

  it('refuses to delete the task folder itself (400 InvalidUri), so stdout, stderr and wd stay', async () => {
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await b.client.task.add(jobId, { id: 't', commandLine: "/bin/sh -c 'echo kept'" });
    await waitForTask(b.client, jobId, 't', 'completed');
    for (const self of ['wd/..', './', 'wd/../.']) {
      const refused = await rejection(b.client.file.deleteFromTask(jobId, 't', self, { recursive: true }));
      assert.equal(refused.statusCode, 400, self);
      assert.equal(refused.code, 'InvalidUri', self);
    }
    assert.equal((await readTaskFile(b.client, jobId, 't', 'stdout.txt')).trim(), 'kept');
  });
});
