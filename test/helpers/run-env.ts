/**
 * A run environment per test file: the shared Temporal dev server and Azurite of the running stack, plus a
 * local Batch service started in-process on port 0; workflow code bundled once; workers on a unique task queue.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { BlobServiceClient } from '@azure/storage-blob';
import { connectClient } from '../../src/client';
import { SPC_WORKFLOWS_PATH, SpcPlugin } from '../../src/plugin';
import type { SharedKeyConfig } from '../../src/config';
import type { Config } from '../../src/schemas/config';
import type { RawRunInput } from '../../src/schemas/run-input';
import type { SpcTracing } from '../../src/tracing/types';
import { startLocalBatchService } from '../../src/local-batch/http/server';
import { startTestBatch, type TestBatch } from './local-batch';
import { assertNoLeftovers } from './leftovers';
import { ensureStack, uniqueId } from './stack';

export interface RunEnv {
  config: SharedKeyConfig;
  client: Client;
  batch: TestBatch;
  blobs: BlobServiceClient;
  taskQueue: string;
  /**
   * Starts an in-process worker with the SpcPlugin; `stop()` shuts it down and waits. With `tracing`, the workflow
   * code is bundled again through the plugin (adding OpenTelemetry's workflow interceptors), as a team would.
   */
  startWorker(overrides?: Partial<Config>, options?: { tracing?: SpcTracing }): Promise<{ worker: Worker; plugin: SpcPlugin; stop(): Promise<void> }>;
  /** Starts `node dist/src/worker.js` as a separate process on this env's task queue, with `extraEnv` added. */
  spawnWorker(extraEnv?: NodeJS.ProcessEnv): ChildProcess;
  /** Stops the local Batch service (its task processes die with it), then starts it again on the same port and data. */
  restartBatch(downMs: number): Promise<void>;
  close(): Promise<void>;
}

/** The bundler's logger: errors only. */
export const quietBundler = { log: () => undefined, info: () => undefined, warn: () => undefined, error: console.error, debug: () => undefined, trace: () => undefined };

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per test process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: SPC_WORKFLOWS_PATH, logger: quietBundler });
  return bundle;
}

export async function startRunEnv(options: { allocationDelayMs?: number; dataDir?: string; /** Another Temporal server than the stack's. */ temporalAddress?: string } = {}): Promise<RunEnv> {
  const stackConfig = await ensureStack();
  const batch = await startTestBatch({ allocationDelayMs: options.allocationDelayMs ?? 200, dataDir: options.dataDir });
  const taskQueue = uniqueId('run');
  const config: SharedKeyConfig = Object.freeze({
    ...stackConfig,
    SPC_TASK_QUEUE: taskQueue,
    AZURE_BATCH_URL: batch.service.url,
    AZURE_BATCH_ACCOUNT: batch.accountName,
    AZURE_BATCH_KEY: batch.accountKey,
    ...(options.temporalAddress && { SPC_TEMPORAL_ADDRESS: options.temporalAddress }),
  });
  const client = await connectClient(config);
  const blobs = BlobServiceClient.fromConnectionString(config.AZURE_STORAGE_CONNECTION_STRING);
  const connection = await NativeConnection.connect({ address: config.SPC_TEMPORAL_ADDRESS });
  const workers = new Set<() => Promise<void>>();
  const children = new Set<ChildProcess>();
  return {
    config,
    client,
    batch,
    blobs,
    taskQueue,
    async startWorker(overrides = {}, { tracing } = {}) {
      const plugin = new SpcPlugin({ config: { ...config, ...overrides }, tracing });
      const code = tracing ? await bundleWorkflowCode({ workflowsPath: SPC_WORKFLOWS_PATH, plugins: [plugin], logger: quietBundler }) : await workflowBundle();
      const worker = await Worker.create({ connection, taskQueue, workflowBundle: code, plugins: [plugin] });
      const running = worker.run();
      const stop = async () => {
        workers.delete(stop);
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      };
      workers.add(stop);
      return { worker, plugin, stop };
    },
    spawnWorker(extraEnv = {}) {
      const child = spawn(process.execPath, [path.resolve(__dirname, '../../src/worker.js')], {
        env: { ...process.env, ...config, SPC_REAPER: 'off', ...extraEnv },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
    async restartBatch(downMs: number) {
      await batch.service.close();
      await new Promise((r) => setTimeout(r, downMs));
      batch.service = await startLocalBatchService({
        port: batch.service.port,
        accountName: batch.accountName,
        accountKey: batch.accountKey,
        dataDir: batch.dataDir,
        allocationDelayMs: options.allocationDelayMs ?? 200,
      });
    },
    async close() {
      // Nothing a finished run created may outlive it: checked before the service (and its state) goes away.
      let leftovers: unknown;
      await assertNoLeftovers(client, batch.client).catch((err: unknown) => (leftovers = err));
      for (const child of children) child.kill('SIGKILL');
      await Promise.all([...workers].map((stop) => stop()));
      await connection.close();
      await client.connection.close();
      await batch.service.close();
      rmSync(batch.dataDir, { recursive: true, force: true });
      if (leftovers) throw leftovers;
    },
  };
}

/** A small, fast run input for tests: 300 ms spenser-sim tasks at tiny scale, short backoffs and heartbeats. */
export function testInput(lads: string[], overrides: Partial<RawRunInput> = {}): RawRunInput {
  return {
    lads,
    recipe: { name: 'spenser-sim', options: { durationMs: 300, scale: 0.01 } },
    pool: { dedicatedNodes: 4, taskSlotsPerNode: 1 },
    retry: { maxAttempts: 2, backoffMs: 200 },
    timeouts: { heartbeatMs: 5000 },
    pollIntervalMs: 250,
    ...overrides,
  };
}

export { ladCodes } from './lads';
