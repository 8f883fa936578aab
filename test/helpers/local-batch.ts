import { BatchServiceClient, BatchSharedKeyCredentials } from '@azure/batch';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalBatchAdminClient } from '../../src/local-batch/admin-client';
import type { FaultSettings } from '../../src/local-batch/faults';
import { startLocalBatchService, type LocalBatchService } from '../../src/local-batch/server';

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
export async function startTestBatch(options: { allocationDelayMs?: number; faults?: FaultSettings; dataDir?: string } = {}): Promise<TestBatch> {
  const accountKey = randomBytes(32).toString('base64');
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'spc-batch-test-'));
  const service = await startLocalBatchService({
    port: 0,
    accountName: TEST_BATCH_ACCOUNT,
    accountKey,
    dataDir,
    allocationDelayMs: options.allocationDelayMs ?? 50,
    faults: options.faults,
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
