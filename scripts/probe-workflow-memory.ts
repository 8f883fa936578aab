/**
 * Probe (not a test) of what one cached workflow costs the worker: N `blocker` workflows (they wait for a signal,
 * nothing else) are held in the worker's cache, and the worker's RSS is read before and after. Run it with the
 * workflow bundle holding only the blocker (`--bundle bare`) and with the blocker beside spc-temporal's workflows,
 * which pull zod and the schemas into the bundle (`--bundle spc`): if every cached workflow re-evaluated the
 * bundle's modules, the second would cost far more per workflow. Needs the stack up (`npm run stack -- up`).
 *
 *   node --expose-gc dist/scripts/probe-workflow-memory.js --bundle bare|spc [--workflows 500] [--reuse-context true|false] [--main-thread true] [--tracing true]
 *
 * `--tracing true` adds OpenTelemetry's workflow interceptors to the bundle and its span sink to the worker (spans
 * go to an in-memory exporter), as `SpcPlugin({ tracing })` does.
 *
 * `--main-thread true` runs the workflows in this thread (the SDK's debugMode) so that V8's used heap, read after a
 * GC, counts them too; otherwise only RSS sees the workflow thread.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../src/config';
import { createSpcTracing } from '../src/tracing';
import { aliveQuery, releaseSignal } from './probe/blocker-workflow';

const rssMiB = (): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
const heapMiB = (): number => {
  global.gc?.();
  return getHeapStatistics().used_heap_size / 1048576;
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { bundle: { type: 'string', default: 'spc' }, workflows: { type: 'string', default: '500' }, 'reuse-context': { type: 'string', default: 'true' }, 'main-thread': { type: 'string', default: 'false' }, tracing: { type: 'string', default: 'false' } } });
  const count = Number(values.workflows);
  // Beside the compiled probe, so the bundler resolves @temporalio/workflow from the project's node_modules.
  const entry = path.resolve(__dirname, `probe/entry-${values.bundle}.js`);
  const blocker = path.resolve(__dirname, 'probe/blocker-workflow.js');
  const spc = path.resolve(__dirname, '../src/workflows/index.js');
  writeFileSync(entry, `${values.bundle === 'spc' ? `export * from ${JSON.stringify(spc)};\n` : ''}export { blocker } from ${JSON.stringify(blocker)};\n`);
  const tracing = values.tracing === 'true' ? createSpcTracing({ resource: new Resource({}), spanProcessor: new SimpleSpanProcessor(new InMemorySpanExporter()) }) : undefined;
  const bundleOptions = { workflowsPath: entry, logger: { log: () => undefined, info: () => undefined, warn: () => undefined, error: console.error, debug: () => undefined, trace: () => undefined } };
  const workflowBundle = await bundleWorkflowCode(tracing ? tracing.configureBundler(bundleOptions) : bundleOptions);

  const config = loadConfig();
  const taskQueue = `probe-${process.pid}-${Date.now()}`;
  const connection = await NativeConnection.connect({ address: config.SPC_TEMPORAL_ADDRESS });
  const options = { connection, taskQueue, workflowBundle, maxCachedWorkflows: count + 10, reuseV8Context: values['reuse-context'] === 'true', debugMode: values['main-thread'] === 'true' };
  const worker = await Worker.create(tracing ? tracing.configureWorker(options) : options);
  const running = worker.run();
  const client = new Client({ connection: await Connection.connect({ address: config.SPC_TEMPORAL_ADDRESS }) });

  // Warm up: one workflow, so the thread and its context exist before the baseline.
  const warm = await client.workflow.start('blocker', { taskQueue, workflowId: `${taskQueue}-warm` });
  await warm.query(aliveQuery);
  const heapBefore = heapMiB();
  const before = rssMiB();
  const handles = [];
  for (let i = 0; i < count; i += 50) {
    const wave = await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, j) => client.workflow.start('blocker', { taskQueue, workflowId: `${taskQueue}-${i + j}` })));
    // A query is answered only once the workflow ran its first task in the worker: it is in the cache then.
    await Promise.all(wave.map((h) => h.query(aliveQuery)));
    handles.push(...wave);
  }
  const after = rssMiB();
  const heapAfter = heapMiB();
  const perWorkflow = (from: number, to: number): string => `${(((to - from) * 1024) / count).toFixed(0)} KiB per workflow`;
  const heap = values['main-thread'] === 'true' ? `; V8 heap used ${heapBefore.toFixed(0)} -> ${heapAfter.toFixed(0)} MiB, ${perWorkflow(heapBefore, heapAfter)}` : '';
  console.log(`bundle ${values.bundle}${tracing ? ' traced' : ''} (${(workflowBundle.code.length / 1024).toFixed(0)} KiB), reuseV8Context ${values['reuse-context']}: ${count} cached workflows, RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB, ${perWorkflow(before, after)}${heap}`);
  await Promise.all([warm, ...handles].map((h) => h.signal(releaseSignal)));
  worker.shutdown();
  await running;
  await client.connection.close();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
