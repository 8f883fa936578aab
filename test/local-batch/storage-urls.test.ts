import { BlobServiceClient, ContainerSASPermissions, type ContainerClient } from '@azure/storage-blob';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig, requireSharedKeys } from '../../src/config';
import { localBlobUrl } from '../../src/local-batch/execution/storage-urls';
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
});
