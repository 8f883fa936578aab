/**
 * One worker, one task queue: the team's `greet` workflow and activity, and spc-temporal's spcRun and ladRun through
 * SpcPlugin. Connection and Azure settings come from the environment (temporal.toml profile, TEMPORAL_*, AZURE_*),
 * defaulting to the local stack. Stops on SIGINT or SIGTERM.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { SpcPlugin, loadConfig, temporalConnectionOptions } from 'spc-temporal';
import * as activities from './activities';

async function run(): Promise<void> {
  const config = loadConfig();
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  try {
    const worker = await Worker.create({
      connection,
      namespace: config.SPC_TEMPORAL_NAMESPACE,
      taskQueue: config.SPC_TASK_QUEUE,
      workflowsPath: require.resolve('./workflows'),
      activities,
      plugins: [new SpcPlugin({ config })],
    });
    console.log(`worker polling ${config.SPC_TASK_QUEUE}`);
    await worker.run();
  } finally {
    await connection.close();
  }
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
