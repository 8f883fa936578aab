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
import type { OtlpTracing } from './tracing/otlp';
import { otlpTracingWanted } from './tracing/wanted';

async function run(): Promise<void> {
  installRuntime({ logLevel: process.env.SPC_LOG_LEVEL === 'INFO' ? 'INFO' : 'WARN', metricsAddress: process.env.SPC_METRICS_ADDRESS });
  const config = loadConfig();
  const otlp = startTracing(process.env);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  try {
    // The workflow cache's size comes from the config (SPC_MAX_CACHED_WORKFLOWS), through the plugin.
    const worker = await createSpcWorker(connection, config, {}, { tracing: otlp?.tracing });
    console.log(`spc worker polling task queue ${config.SPC_TASK_QUEUE} (pid ${process.pid})`);
    if (otlp) console.log('tracing: spans exported by OTLP');
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
    await otlp?.shutdown();
  }
}

/** What tracing in our worker loads (optional peer dependencies of the package). */
const TRACING_PACKAGES = ['@temporalio/interceptors-opentelemetry', '@opentelemetry/sdk-trace-node', '@opentelemetry/exporter-trace-otlp-http'];

/**
 * OTLP tracing when the environment asks for it (see src/tracing/wanted.ts). The OpenTelemetry packages are
 * optional, so they are required here and only then: a worker that does not trace never loads them.
 */
function startTracing(env: NodeJS.ProcessEnv): OtlpTracing | undefined {
  if (!otlpTracingWanted(env)) return undefined;
  let otlp: typeof import('./tracing/otlp');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    otlp = require('./tracing/otlp') as typeof import('./tracing/otlp');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    throw new RangeError(`OTEL_EXPORTER_OTLP_ENDPOINT is set, but tracing needs packages not installed (${(err as Error).message.split('\n')[0]}): npm install ${TRACING_PACKAGES.join(' ')}`, { cause: err });
  }
  return otlp.startOtlpTracing();
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
