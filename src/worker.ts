import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from './activities';
import { loadConfig } from './config';

/** Runs a worker for the configured task queue until SIGINT or SIGTERM (the SDK shuts down gracefully on both). */
async function run(): Promise<void> {
  const config = loadConfig();
  const connection = await NativeConnection.connect({ address: config.SPC_TEMPORAL_ADDRESS });
  try {
    const worker = await Worker.create({
      connection,
      namespace: config.SPC_TEMPORAL_NAMESPACE,
      taskQueue: config.SPC_TASK_QUEUE,
      workflowsPath: require.resolve('./workflows'),
      activities: createActivities(config),
    });
    await worker.run();
  } finally {
    await connection.close();
  }
}

run().catch((err: unknown) => {
  console.error(err instanceof RangeError ? err.message : err);
  process.exit(1);
});
