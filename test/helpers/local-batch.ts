import { BatchServiceClient, BatchSharedKeyCredentials } from '@azure/batch';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalBatchAdminClient } from '../../src/local-batch/admin-client';
import type { FaultSettings } from '../../src/local-batch/http/faults';
import type { QuotaSettings } from '../../src/local-batch/model/quotas';
import { startLocalBatchService, type LocalBatchService } from '../../src/local-batch/http/server';
import type { EmulatedStorage } from '../../src/local-batch/execution/storage-urls';
import { LOCAL_BATCH_ACCOUNT, LOCAL_STORAGE_ACCOUNT, loadStackSettings } from '../../src/config';
import { ensureLocalSecrets } from '../../src/stack/secrets';

export const TEST_BATCH_ACCOUNT = 'spctest';

export interface TestBatch {
  service: LocalBatchService;
  client: BatchServiceClient;
  admin: LocalBatchAdminClient;
  accountName: string;
  accountKey: string;
  dataDir: string;
  /** Closes the service and deletes its data folder. */
  stop(): Promise<void>;
}

/** Starts a local Batch service in-process on an ephemeral port with a temp data folder and a random key. */
export async function startTestBatch(
  options: { allocationDelayMs?: number; nodeStateDelayMs?: number; faults?: FaultSettings; quotas?: QuotaSettings; dataDir?: string; storage?: EmulatedStorage } = {},
): Promise<TestBatch> {
  const accountKey = randomBytes(32).toString('base64');
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'spc-batch-test-'));
  const service = await startLocalBatchService({
    port: 0,
    accountName: TEST_BATCH_ACCOUNT,
    accountKey,
    dataDir,
    allocationDelayMs: options.allocationDelayMs ?? 50,
    nodeStateDelayMs: options.nodeStateDelayMs,
    faults: options.faults,
    quotas: options.quotas,
    storage: options.storage,
  });
  return {
    service,
    client: batchClient(service.url, accountKey),
    admin: new LocalBatchAdminClient(service.url, accountKey),
    accountName: TEST_BATCH_ACCOUNT,
    accountKey,
    dataDir,
    async stop() {
      await service.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The stack's Azurite as the storage account a service emulates (as the stack's service is started). */
export function stackStorage(): EmulatedStorage {
  const settings = loadStackSettings();
  return { accountName: LOCAL_STORAGE_ACCOUNT, blobEndpoint: `http://127.0.0.1:${settings.SPC_AZURITE_PORT}/${LOCAL_STORAGE_ACCOUNT}`, accountKey: ensureLocalSecrets(settings).storageKey };
}

/** `url` (of the stack's Azurite) as a client written for Azure names it: `https://<account>.blob.core.windows.net/...`. */
export function azureFormUrl(url: string): string {
  const parsed = new URL(url);
  const [, account, ...rest] = parsed.pathname.split('/');
  return `https://${account}.blob.core.windows.net/${rest.join('/')}${parsed.search}`;
}

export function batchClient(url: string, accountKey: string, accountName = TEST_BATCH_ACCOUNT): BatchServiceClient {
  return new BatchServiceClient(new BatchSharedKeyCredentials(accountName, accountKey), url);
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes; each poll is a real request. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until the task reaches `state` (polling Task_Get) and returns it. */
export function waitForTask(client: BatchServiceClient, jobId: string, taskId: string, state: string, timeoutMs = 20_000) {
  return waitFor(`task ${jobId}/${taskId} ${state}`, async () => {
    const task = await client.task.get(jobId, taskId);
    return task.state === state ? task : undefined;
  }, timeoutMs);
}

/** Waits until the pool is steady with every node idle or running (or in one of `states`), and returns its nodes. */
export function waitForNodes(client: BatchServiceClient, poolId: string, count: number, states = ['idle', 'running'], timeoutMs = 20_000) {
  return waitFor(`pool ${poolId} with ${count} nodes in ${states.join('/')}`, async () => {
    const pool = await client.pool.get(poolId);
    if (pool.allocationState !== 'steady') return undefined;
    const nodes = await client.computeNode.list(poolId);
    return nodes.length === count && nodes.every((n) => states.includes(String(n.state))) ? nodes : undefined;
  }, timeoutMs);
}

/** Reads a task file through the file API. */
export async function readTaskFile(client: BatchServiceClient, jobId: string, taskId: string, filePath: string): Promise<string> {
  const response = await client.file.getFromTask(jobId, taskId, filePath);
  const chunks: Buffer[] = [];
  for await (const chunk of response.readableStreamBody!) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The rejection of a promise that must fail (RestError-like: statusCode, code, message object). */
export async function rejection(promise: Promise<unknown>): Promise<{ statusCode: number; code: string; message: unknown; response?: { headers: { get(name: string): string | undefined } } }> {
  try {
    await promise;
  } catch (err) {
    return err as { statusCode: number; code: string; message: unknown };
  }
  throw new Error('expected the call to be rejected');
}

/** Runs `fn` with `settings` injected into the service, clearing the operation faults after, whatever happens. */
export async function withFaults<T>(batch: Pick<TestBatch, 'admin'>, settings: FaultSettings, fn: () => Promise<T>): Promise<T> {
  await batch.admin.setFaults(settings);
  try {
    return await fn();
  } finally {
    await batch.admin.setFaults({ operations: {} });
  }
}

/** A free TCP port on loopback (a subprocess service keeps one port across restarts, so clients keep their URL). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The local Batch service as its own process (the stack entry point `main.js`), to be killed with SIGKILL and
 * started again on the same stack folder and port.
 */
export class BatchProcess {
  child: ChildProcess | undefined;
  readonly url: string;
  readonly accountName = LOCAL_BATCH_ACCOUNT;
  readonly accountKey: string;

  constructor(
    readonly stackDir: string,
    readonly port: number,
    /** More environment for the service (e.g. SPC_BATCH_QUOTAS). */
    readonly extraEnv: Record<string, string> = {},
  ) {
    this.url = `http://127.0.0.1:${port}`;
    // A root service runs nonadmin tasks as an unprivileged user, who must be able to reach the node folders inside.
    chmodSync(stackDir, 0o711);
    this.accountKey = ensureLocalSecrets(loadStackSettings({ SPC_STACK_DIR: stackDir })).batchKey;
  }

  /** Starts the service and resolves once it answers (the admin endpoint: the SDK backs off for seconds on a refusal). */
  async start(): Promise<void> {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, SPC_STACK_DIR: this.stackDir, SPC_BATCH_PORT: String(this.port), SPC_BATCH_ALLOCATION_DELAY_MS: '50', ...this.extraEnv };
    // Its own process group, so kill -9 of the group takes the service and its process launchers down at once.
    this.child = spawn(process.execPath, [path.resolve(__dirname, '../../src/local-batch/main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
    const headers = { 'x-spc-admin-key': this.accountKey };
    await waitFor('service up', () => fetch(`${this.url}/_admin/stats`, { headers }).then((r) => (r.ok ? true : undefined), () => undefined), 20_000, 10);
  }

  /** Sends SIGKILL to the service's process group now (synchronously); `exited` resolves when it is gone. */
  kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(-child.pid!, 'SIGKILL');
    return exited;
  }

  client(): BatchServiceClient {
    return batchClient(this.url, this.accountKey, this.accountName);
  }
}
