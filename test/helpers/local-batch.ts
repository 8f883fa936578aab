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
