import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SUPPORTED_API_VERSIONS } from '../../src/local-batch/http/server';
import { jsSignedRequest } from '../helpers/batch-raw';
import { batchClient, readTaskFile, rejection, startTestBatch, waitForNodes, waitForTask, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

describe('local Batch api-versions: the current ones, and @azure/batch 10.2.0 told to send 2025-06-01', () => {
  let b: TestBatch;
  before(async () => {
    b = await startTestBatch();
  });
  after(() => b.stop());

  it('accepts every listed version, including 2024-07-01.20.0 and 2025-06-01, and refuses others by name', async () => {
    for (const version of ['2024-07-01.20.0', '2025-06-01']) assert.ok(SUPPORTED_API_VERSIONS.includes(version), version);
    for (const version of SUPPORTED_API_VERSIONS) {
      const answer = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'GET', path: '/pools', query: { 'api-version': version } });
      assert.equal(answer.status, 200, version);
    }
    const old = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'GET', path: '/pools', query: { 'api-version': '2019-08-01.10.0' } });
    assert.equal(old.status, 400);
    assert.equal(old.json?.code, 'UnsupportedRequestVersion');
  });

  it('@azure/batch 10.2.0 sends the version set on client.apiVersion, and its pool/job/task/file flow (and the supported-images list) works with 2025-06-01', async () => {
    const client = batchClient(b.service.url, b.accountKey);
    // The constructor has no apiVersion option; the generated context keeps it in a public field that every operation reads.
    client.apiVersion = '2019-08-01.10.0';
    const refused = await rejection(client.pool.list());
    assert.equal(refused.code, 'UnsupportedRequestVersion', 'the field is what goes on the wire');
    client.apiVersion = '2025-06-01';
    const poolId = uniqueId('pool');
    const jobId = uniqueId('job');
    await client.pool.add({
      id: poolId,
      vmSize: 'Standard_D2s_v3',
      targetDedicatedNodes: 1,
      virtualMachineConfiguration: {
        imageReference: { publisher: 'canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
        nodeAgentSKUId: 'batch.node.ubuntu 24.04',
      },
    });
    await waitForNodes(client, poolId, 1, ['idle']);
    const images = await client.account.listSupportedImages();
    assert.ok(images.some((i) => i.nodeAgentSKUId === 'batch.node.ubuntu 24.04' && i.imageReference.offer === 'ubuntu-24_04-lts'));
    await client.job.add({ id: jobId, poolInfo: { poolId } });
    const added = await client.task.addCollection(jobId, [{ id: 't1', commandLine: "/bin/sh -c 'echo one'" }, { id: 't2', commandLine: "/bin/sh -c 'echo two'" }]);
    assert.deepEqual(added.value?.map((r) => r.status), ['success', 'success']);
    await waitForTask(client, jobId, 't1', 'completed');
    await waitForTask(client, jobId, 't2', 'completed');
    const completed = await client.task.list(jobId, { taskListOptions: { filter: "state eq 'completed'", select: 'id,state,executionInfo' } });
    assert.deepEqual(completed.map((t) => t.id).sort(), ['t1', 't2']);
    assert.equal((await readTaskFile(client, jobId, 't2', 'stdout.txt')).trim(), 'two');
    await client.job.deleteMethod(jobId);
    await client.pool.deleteMethod(poolId);
  });
});
