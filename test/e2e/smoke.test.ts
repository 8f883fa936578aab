import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { BlobServiceClient } from '@azure/storage-blob';
import { createActivities } from '../../src/activities';
import { connectClient } from '../../src/client';
import type { SharedKeyConfig } from '../../src/config';
import { ensureStack, uniqueId } from '../helpers/stack';

describe('first end-to-end path: client -> Temporal dev server -> worker -> Azurite', () => {
  let config: SharedKeyConfig;
  let client: Client;
  let worker: Worker;
  let connection: NativeConnection;
  let running: Promise<void>;
  const taskQueue = uniqueId('smoke');

  before(async () => {
    config = await ensureStack();
    client = await connectClient(config);
    connection = await NativeConnection.connect({ address: config.SPC_TEMPORAL_ADDRESS });
    worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: require.resolve('../../src/workflows'),
      activities: createActivities(config),
    });
    running = worker.run();
  });

  after(async () => {
    worker.shutdown();
    await running;
    await connection.close();
    await client.connection.close();
  });

  it('runs a workflow whose activity writes a blob, and the blob reads back from Azurite', async () => {
    const container = uniqueId('smoke').toLowerCase();
    const text = `hello from ${taskQueue}`;
    const result = await client.workflow.execute('smokeWorkflow', {
      taskQueue,
      workflowId: uniqueId('smoke-wf'),
      args: [{ container, blobName: 'greeting.txt', text }],
    });
    assert.equal(result, text);

    const blobs = BlobServiceClient.fromConnectionString(config.AZURE_STORAGE_CONNECTION_STRING);
    const stored = await blobs.getContainerClient(container).getBlobClient('greeting.txt').downloadToBuffer();
    assert.equal(stored.toString('utf8'), text);
    await blobs.getContainerClient(container).delete();
  });

  it('fails a workflow with invalid input at once, naming the field', async () => {
    await assert.rejects(
      client.workflow.execute('smokeWorkflow', {
        taskQueue,
        workflowId: uniqueId('smoke-bad'),
        args: [{ container: 'Not A Container', blobName: 'x', text: 'x' }],
      }),
      (err: unknown) => {
        assert.ok(err instanceof WorkflowFailedError);
        assert.match(String(err.cause?.message), /input\.container: must be a valid blob container name/);
        return true;
      },
    );
  });
});

describe('Azurite through @azure/storage-blob', () => {
  it('reads back a blob written with a conditional create, and refuses to overwrite it', async () => {
    const config = await ensureStack();
    const container = BlobServiceClient.fromConnectionString(config.AZURE_STORAGE_CONNECTION_STRING).getContainerClient(
      uniqueId('blob').toLowerCase(),
    );
    await container.create();
    try {
      const blob = container.getBlockBlobClient('a/b.csv');
      await blob.upload('x,y\n1,2\n', 8, { conditions: { ifNoneMatch: '*' } });
      assert.equal((await blob.downloadToBuffer()).toString(), 'x,y\n1,2\n');
      await assert.rejects(blob.upload('z', 1, { conditions: { ifNoneMatch: '*' } }), { statusCode: 409 });
      const names: string[] = [];
      for await (const item of container.listBlobsFlat({ prefix: 'a/' })) names.push(item.name);
      assert.deepEqual(names, ['a/b.csv']);
    } finally {
      await container.delete();
    }
  });
});
