import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from './activities';
import { installQuietRuntime } from './logging';
import { connectClient } from './client';
import { loadConfig, loadStackSettings } from './config';
import { StackError } from './stack/errors';
import { stackUp } from './stack/stack';

/**
 * The README's main job on the embedded default: bring the local stack up, start a worker in this process,
 * and run the end-to-end path through Temporal and Azurite.
 */
async function run(): Promise<void> {
  installQuietRuntime();
  await stackUp(loadStackSettings());
  const config = loadConfig();
  const taskQueue = `${config.SPC_TASK_QUEUE}-main`;
  const connection = await NativeConnection.connect({ address: config.SPC_TEMPORAL_ADDRESS });
  const client = await connectClient(config);
  try {
    const worker = await Worker.create({
      connection,
      namespace: config.SPC_TEMPORAL_NAMESPACE,
      taskQueue,
      workflowsPath: require.resolve('./workflows'),
      activities: createActivities(config),
    });
    const workflowId = `spc-smoke-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}`;
    const result = await worker.runUntil(
      client.workflow.execute('smokeWorkflow', {
        taskQueue,
        workflowId,
        args: [{ container: 'spc-smoke', blobName: `${workflowId}.txt`, text: `written by ${workflowId}` }],
      }),
    );
    console.log(`workflow ${workflowId} completed; blob read back: "${result}"`);
    console.log(`inspect it in the Web UI: http://127.0.0.1:${loadStackSettings().SPC_TEMPORAL_UI_PORT}/namespaces/default/workflows/${workflowId}`);
  } finally {
    await client.connection.close();
    await connection.close();
  }
}

run().catch((err: unknown) => {
  console.error(err instanceof StackError || err instanceof RangeError ? err.message : err);
  process.exit(1);
});
