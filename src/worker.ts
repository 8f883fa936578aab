/**
 * Runs a worker with the SpcPlugin on the configured task queue until SIGINT or SIGTERM; the SDK then stops
 * polling, lets running activities finish or be cancelled, and `run()` returns.
 * Config comes from the environment (see src/config), defaulting to the embedded local stack.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig, temporalConnectionOptions } from './config';
import { installRuntime } from './runtime';
import { connectClient } from './client';
import { createSpcWorker } from './plugin';
import { ensureReaperSchedule } from './reaper/schedule';

async function run(): Promise<void> {
  installRuntime({ logLevel: process.env.SPC_LOG_LEVEL === 'INFO' ? 'INFO' : 'WARN', metricsAddress: process.env.SPC_METRICS_ADDRESS });
  const config = loadConfig();
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  try {
    // The workflow cache's size comes from the config (SPC_MAX_CACHED_WORKFLOWS), through the plugin.
    const worker = await createSpcWorker(connection, config);
    console.log(`spc worker polling task queue ${config.SPC_TASK_QUEUE} (pid ${process.pid})`);
    await ensureReaper(config);
    if (process.env.SPC_METRICS_ADDRESS && process.env.SPC_METRICS_ADDRESS !== 'off') console.log(`metrics at http://${process.env.SPC_METRICS_ADDRESS}/metrics`);
    const memoryLog = logMemoryEvery(Number(process.env.SPC_WORKER_MEMORY_LOG_MS ?? 0));
    try {
      await worker.run();
    } finally {
      if (memoryLog) clearInterval(memoryLog);
    }
  } finally {
    await connection.close();
  }
}

/**
 * Every worker makes sure its task queue has the orphan reaper's Schedule (idempotent; the first worker creates it).
 * `SPC_REAPER=off` skips it (short-lived test workers). A failure is logged, never fatal: runs do not depend on it.
 */
async function ensureReaper(config: ReturnType<typeof loadConfig>): Promise<void> {
  if (process.env.SPC_REAPER === 'off') return;
  try {
    const client = await connectClient(config);
    try {
      const outcome = await ensureReaperSchedule(client, { taskQueue: config.SPC_TASK_QUEUE, namespace: config.SPC_TEMPORAL_NAMESPACE });
      console.log(`reaper schedule spc-reaper-${config.SPC_TASK_QUEUE}: ${outcome}`);
    } finally {
      await client.connection.close();
    }
  } catch (err) {
    console.error(`reaper schedule not ensured: ${(err as Error).message}`);
  }
}

/** Optional memory log (benchmarks): rss and V8 heap in MiB every `ms` milliseconds; 0 = off. */
function logMemoryEvery(ms: number): NodeJS.Timeout | undefined {
  if (!ms) return undefined;
  const mib = (n: number) => Math.round(n / 1048576);
  return setInterval(() => {
    const m = process.memoryUsage();
    console.log(`memory rss=${mib(m.rss)} heapUsed=${mib(m.heapUsed)} heapTotal=${mib(m.heapTotal)} external=${mib(m.external)}`);
  }, ms).unref();
}

run().catch((err: unknown) => {
  console.error(err instanceof RangeError ? err.message : err);
  process.exit(1);
});
