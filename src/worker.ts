/**
 * Runs a worker with the SpcPlugin on the configured task queue until SIGINT or SIGTERM; the SDK then stops
 * polling, lets running activities finish or be cancelled, and `run()` returns.
 * Config comes from the environment (see src/config), defaulting to the embedded local stack.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from './config';
import { installQuietRuntime } from './logging';
import { SpcPlugin } from './plugin';

async function run(): Promise<void> {
  installQuietRuntime(process.env.SPC_LOG_LEVEL === 'INFO' ? 'INFO' : 'WARN');
  const config = loadConfig();
  const connection = await NativeConnection.connect({ address: config.SPC_TEMPORAL_ADDRESS });
  try {
    const worker = await Worker.create({
      connection,
      namespace: config.SPC_TEMPORAL_NAMESPACE,
      taskQueue: config.SPC_TASK_QUEUE,
      plugins: [new SpcPlugin({ config })],
    });
    console.log(`spc worker polling task queue ${config.SPC_TASK_QUEUE} (pid ${process.pid})`);
    await worker.run();
  } finally {
    await connection.close();
  }
}

run().catch((err: unknown) => {
  console.error(err instanceof RangeError ? err.message : err);
  process.exit(1);
});
