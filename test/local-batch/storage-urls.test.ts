import { BlobServiceClient, ContainerSASPermissions, type ContainerClient } from '@azure/storage-blob';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig, requireSharedKeys } from '../../src/config';
import { localBlobUrl } from '../../src/local-batch/execution/storage-urls';
import { jsSignedRequest } from '../helpers/batch-raw';
import { azureFormUrl, readTaskFile, stackStorage, startTestBatch, waitForNodes, waitForTask, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

describe('local Batch storage URLs: Azure URLs of the emulated account go to Azurite', () => {
  const storage = { accountName: 'spcdev', blobEndpoint: 'http://127.0.0.1:10000/spcdev' };

  it('maps https://<account>.blob.core.windows.net/... to the local endpoint, keeping the SAS; leaves other hosts alone', () => {
    assert.equal(localBlobUrl('https://spcdev.blob.core.windows.net/c/a/b.txt?sv=1&sig=x%2B', storage), 'http://127.0.0.1:10000/spcdev/c/a/b.txt?sv=1&sig=x%2B');
    assert.equal(localBlobUrl('https://SPCDEV.Blob.Core.Windows.Net/c?sp=rl', storage), 'http://127.0.0.1:10000/spcdev/c?sp=rl');
    for (const other of [
      'https://another.blob.core.windows.net/c/x',
      'http://spcdev.blob.core.windows.net/c/x',
      'https://spcdev.blob.core.windows.net.example.org/c/x',
      'https://example.org/spcdev/c/x',
      'http://127.0.0.1:10000/spcdev/c/x?sig=y',
    ]) {
      assert.equal(localBlobUrl(other, storage), other);
    }
    assert.equal(localBlobUrl('https://spcdev.blob.core.windows.net/c/x', undefined), 'https://spcdev.blob.core.windows.net/c/x', 'no emulated account: nothing mapped');
  });
});

describe('local Batch transfers by Azure URLs (through Azurite)', () => {
  let b: TestBatch;
  let poolId: string;
  let input: ContainerClient;
  let output: ContainerClient;
  const expiresOn = () => new Date(Date.now() + 3600_000);

  before(async () => {
    const blobs = BlobServiceClient.fromConnectionString(requireSharedKeys(loadConfig()).AZURE_STORAGE_CONNECTION_STRING);
    input = blobs.getContainerClient(uniqueId('lb-az-in'));
    output = blobs.getContainerClient(uniqueId('lb-az-out'));
    await input.create();
    await output.create();
    await input.uploadBlockBlob('single.txt', 'single\n', 7);
    await input.uploadBlockBlob('in/a.txt', 'a\n', 2);
    b = await startTestBatch({ storage: stackStorage() });
    poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1 });
    await waitForNodes(b.client, poolId, 1);
  });
  after(async () => {
    await b.stop();
    await input.deleteIfExists();
    await output.deleteIfExists();
  });

  it('a task whose resource files and output container name https://<account>.blob.core.windows.net downloads and uploads through Azurite', async () => {
    const single = azureFormUrl(await input.getBlobClient('single.txt').generateSasUrl({ permissions: ContainerSASPermissions.parse('r'), expiresOn: expiresOn() }));
    const readSas = azureFormUrl(await input.generateSasUrl({ permissions: ContainerSASPermissions.parse('rl'), expiresOn: expiresOn() }));
    const writeSas = azureFormUrl(await output.generateSasUrl({ permissions: ContainerSASPermissions.parse('rwl'), expiresOn: expiresOn() }));
    assert.match(writeSas, /^https:\/\/spcdev\.blob\.core\.windows\.net\/lb-az-out-[^?]+\?.*sig=/);
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await b.client.task.add(jobId, {
      id: 'az',
      commandLine: "/bin/sh -c 'cat single.txt from/in/a.txt > result.txt'",
      resourceFiles: [
        { httpUrl: single, filePath: 'single.txt' },
        { storageContainerUrl: readSas, blobPrefix: 'in/', filePath: 'from' },
      ],
      outputFiles: [{ filePattern: 'result.txt', destination: { container: { containerUrl: writeSas, path: 'out/result.txt' } }, uploadOptions: { uploadCondition: 'tasksuccess' } }],
    });
    const task = await waitForTask(b.client, jobId, 'az', 'completed');
    assert.equal(task.executionInfo?.result, 'success', JSON.stringify(task.executionInfo));
    assert.equal((await output.getBlobClient('out/result.txt').downloadToBuffer()).toString('utf8'), 'single\na\n');
    assert.equal(await readTaskFile(b.client, jobId, 'az', 'wd/result.txt'), 'single\na\n');
  });

  it('transfers by the pool identity (identityReference) need no SAS; an identity not assigned to the pool fails the task', async () => {
    const identity = '/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/spc-out';
    const other = identity.replace('spc-out', 'not-on-the-pool');
    const idPool = uniqueId('id-pool');
    const added = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, {
      method: 'POST',
      path: '/pools',
      body: JSON.stringify({ id: idPool, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1, identity: { type: 'UserAssigned', userAssignedIdentities: [{ resourceId: identity }] } }),
    });
    assert.equal(added.status, 201, JSON.stringify(added.json));
    assert.deepEqual((await b.client.pool.get(idPool)).identity?.userAssignedIdentities?.map((i) => i.resourceId), [identity]);
    await waitForNodes(b.client, idPool, 1);
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId: idPool } });
    // No SAS anywhere: the product's form (the local endpoint) for outputs, the Azure form for the input.
    const bareInput = azureFormUrl(input.getBlobClient('single.txt').url);
    const task = (id: string, resourceId: string) => ({
      id,
      commandLine: "/bin/sh -c 'cp single.txt out.txt'",
      resourceFiles: [{ httpUrl: bareInput, filePath: 'single.txt', identityReference: { resourceId: identity } }],
      outputFiles: [{ filePattern: 'out.txt', destination: { container: { containerUrl: output.url, path: `${id}/out.txt`, identityReference: { resourceId } } }, uploadOptions: { uploadCondition: 'taskcompletion' as const } }],
    });
    await b.client.task.add(jobId, task('right', identity.toUpperCase()));
    await b.client.task.add(jobId, task('wrong', other));
    await b.client.task.add(jobId, { id: 'wrong-input', commandLine: '/bin/true', resourceFiles: [{ httpUrl: bareInput, filePath: 'x', identityReference: { resourceId: other } }] });
    const right = await waitForTask(b.client, jobId, 'right', 'completed');
    assert.equal(right.executionInfo?.result, 'success', JSON.stringify(right.executionInfo));
    assert.equal((await output.getBlobClient('right/out.txt').downloadToBuffer()).toString('utf8'), 'single\n');

    const wrong = await waitForTask(b.client, jobId, 'wrong', 'completed');
    assert.equal(wrong.executionInfo?.exitCode, 0, 'the task ran; its upload failed');
    assert.equal(wrong.executionInfo?.result, 'failure');
    assert.equal(wrong.executionInfo?.failureInfo?.code, 'FileUploadAuthenticationFailed');
    assert.match(JSON.stringify(wrong.executionInfo?.failureInfo?.details), /not-on-the-pool in identityReference is not assigned to the pool/);
    assert.equal(await output.getBlobClient('wrong/out.txt').exists(), false);
    const wrongInput = await waitForTask(b.client, jobId, 'wrong-input', 'completed');
    assert.equal(wrongInput.executionInfo?.exitCode, undefined, 'never ran');
    assert.equal(wrongInput.executionInfo?.failureInfo?.code, 'BlobAccessDenied');

    // Without identityReference the same bare URLs are anonymous requests, which Azurite refuses.
    await b.client.task.add(jobId, { id: 'anonymous', commandLine: '/bin/true', resourceFiles: [{ httpUrl: bareInput, filePath: 'x' }] });
    assert.notEqual((await waitForTask(b.client, jobId, 'anonymous', 'completed')).executionInfo?.result, 'success');
  });
});
