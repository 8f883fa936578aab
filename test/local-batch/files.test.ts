import { BlobServiceClient, ContainerSASPermissions, type ContainerClient } from '@azure/storage-blob';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig, requireSharedKeys } from '../../src/config';
import { jsSignedRequest } from '../helpers/batch-raw';
import { readTaskFile, rejection, startTestBatch, waitForNodes, waitForTask, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

async function blobText(container: ContainerClient, name: string): Promise<string> {
  return (await container.getBlobClient(name).downloadToBuffer()).toString('utf8');
}

async function blobNames(container: ContainerClient): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  return names.sort();
}

describe('local Batch task files, resource files and output files (through Azurite)', () => {
  let b: TestBatch;
  let poolId: string;
  let input: ContainerClient;
  let output: ContainerClient;
  const expiresOn = () => new Date(Date.now() + 3600_000);
  before(async () => {
    const blobs = BlobServiceClient.fromConnectionString(requireSharedKeys(loadConfig()).AZURE_STORAGE_CONNECTION_STRING);
    input = blobs.getContainerClient(uniqueId('lb-in'));
    output = blobs.getContainerClient(uniqueId('lb-out'));
    await input.create();
    await output.create();
    await input.uploadBlockBlob('single.txt', 'single\n', 7);
    await input.uploadBlockBlob('in/a.txt', 'a\n', 2);
    await input.uploadBlockBlob('in/sub/b.txt', 'b\n', 2);
    await input.uploadBlockBlob('other.txt', 'other\n', 6);
    b = await startTestBatch();
    poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1, taskSlotsPerNode: 4 });
    await waitForNodes(b.client, poolId, 1);
  });
  after(async () => {
    await b.stop();
    await input.deleteIfExists();
    await output.deleteIfExists();
  });

  it('downloads httpUrl and storageContainerUrl+blobPrefix resource files and uploads outputs by pattern and condition', async () => {
    const readSas = await input.generateSasUrl({ permissions: ContainerSASPermissions.parse('rl'), expiresOn: expiresOn() });
    const writeSas = await output.generateSasUrl({ permissions: ContainerSASPermissions.parse('rwl'), expiresOn: expiresOn() });
    const singleSas = await input.getBlobClient('single.txt').generateSasUrl({ permissions: ContainerSASPermissions.parse('r'), expiresOn: expiresOn() });
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await b.client.task.add(jobId, {
      id: 'io',
      commandLine: "/bin/sh -c 'mkdir -p out/deep && cat inputs/single.txt fromcontainer/in/a.txt fromcontainer/in/sub/b.txt > out/result.txt && echo deep > out/deep/x.log && echo no > f.txt && ls fromcontainer/other.txt; true'",
      resourceFiles: [
        { httpUrl: singleSas, filePath: 'inputs/single.txt' },
        { storageContainerUrl: readSas, blobPrefix: 'in/', filePath: 'fromcontainer' },
      ],
      outputFiles: [
        { filePattern: 'out/**', destination: { container: { containerUrl: writeSas, path: 'results' } }, uploadOptions: { uploadCondition: 'tasksuccess' } },
        { filePattern: '../std*.txt', destination: { container: { containerUrl: writeSas, path: 'logs' } }, uploadOptions: { uploadCondition: 'taskcompletion' } },
        { filePattern: 'f.txt', destination: { container: { containerUrl: writeSas, path: 'failure/f.txt' } }, uploadOptions: { uploadCondition: 'taskfailure' } },
      ],
    });
    const task = await waitForTask(b.client, jobId, 'io', 'completed');
    assert.equal(task.executionInfo?.result, 'success', JSON.stringify(task.executionInfo));
    assert.deepEqual(await blobNames(output), ['logs/stderr.txt', 'logs/stdout.txt', 'results/deep/x.log', 'results/result.txt']);
    assert.equal(await blobText(output, 'results/result.txt'), 'single\na\nb\n');
    assert.match(await blobText(output, 'logs/stderr.txt'), /other\.txt/, 'the blobPrefix filter left other.txt out');

    const props = await b.client.file.getPropertiesFromTask(jobId, 'io', 'wd/out/result.txt');
    assert.equal(props.contentLength, 11);
    assert.equal(String(props.ocpBatchFileIsdirectory).toLowerCase(), 'false');
    const files = await b.client.file.listFromTask(jobId, 'io', { recursive: true });
    const names = files.map((f) => f.name);
    for (const name of ['stdout.txt', 'stderr.txt', 'wd', 'wd/out/result.txt', 'wd/out/deep/x.log']) assert.ok(names.includes(name), name);
    assert.equal(files.find((f) => f.name === 'wd')?.isDirectory, true);
    const top = await b.client.file.listFromTask(jobId, 'io');
    assert.ok(!top.some((f) => f.name?.includes('/')), 'non-recursive lists the top level only');
    const missing = await rejection(b.client.file.getFromTask(jobId, 'io', 'wd/nope.txt'));
    assert.equal(missing.statusCode, 404);
    // The SDK streams file bodies, so it cannot read the error code; the body carries it.
    const raw = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'GET', path: `/jobs/${jobId}/tasks/io/files/wd%2Fnope.txt` });
    assert.equal(raw.json?.code, 'FileNotFound');
    await b.client.file.deleteFromTask(jobId, 'io', 'wd/f.txt');
    assert.equal((await rejection(b.client.file.getPropertiesFromTask(jobId, 'io', 'wd/f.txt'))).statusCode, 404);
    assert.equal(await readTaskFile(b.client, jobId, 'io', 'wd/inputs/single.txt'), 'single\n');
  });

  it('a missing resource blob fails the task without an exit code and without retries', async () => {
    const readSas = await input.getBlobClient('absent.txt').generateSasUrl({ permissions: ContainerSASPermissions.parse('r'), expiresOn: expiresOn() });
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await b.client.task.add(jobId, { id: 'pre', commandLine: '/bin/true', constraints: { maxTaskRetryCount: 3 }, resourceFiles: [{ httpUrl: readSas, filePath: 'x.txt' }] });
    const task = await waitForTask(b.client, jobId, 'pre', 'completed');
    assert.equal(task.executionInfo?.exitCode, undefined);
    assert.equal(task.executionInfo?.result, 'failure');
    assert.equal(task.executionInfo?.retryCount, 0);
    assert.equal(task.executionInfo?.failureInfo?.code, 'BlobNotFound');
    assert.equal(task.executionInfo?.failureInfo?.category, 'usererror');
  });

  it('an upload to a missing container completes the task with result failure and FileUploadContainerNotFound', async () => {
    const blobs = BlobServiceClient.fromConnectionString(requireSharedKeys(loadConfig()).AZURE_STORAGE_CONNECTION_STRING);
    const absent = blobs.getContainerClient(uniqueId('lb-absent'));
    const writeSas = await absent.generateSasUrl({ permissions: ContainerSASPermissions.parse('rwl'), expiresOn: expiresOn() });
    const jobId = uniqueId('job');
    await b.client.job.add({ id: jobId, poolInfo: { poolId } });
    await b.client.task.add(jobId, {
      id: 'up',
      commandLine: "/bin/sh -c 'echo x > o.txt'",
      outputFiles: [{ filePattern: 'o.txt', destination: { container: { containerUrl: writeSas } }, uploadOptions: { uploadCondition: 'taskcompletion' } }],
    });
    const task = await waitForTask(b.client, jobId, 'up', 'completed');
    assert.equal(task.executionInfo?.exitCode, 0);
    assert.equal(task.executionInfo?.result, 'failure');
    assert.equal(task.executionInfo?.failureInfo?.code, 'FileUploadContainerNotFound');
    assert.match(await readTaskFile(b.client, jobId, 'up', 'fileuploaderr.txt'), /FileUploadContainerNotFound/);
  });
});
