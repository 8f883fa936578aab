/**
 * Entra ID end to end, offline, through the real @azure/identity, @azure/batch and @azure/storage-blob: workers
 * whose environment holds no key at all (an empty stack folder, no key variables) get tokens from the stack's
 * issuer (client credentials), talk to the stack's Batch service with bearer tokens and to the OAuth Azurite over
 * https, and sign SAS URLs with a user delegation key.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { BatchServiceClient } from '@azure/batch';
import { connectClient, startSpcRun } from '../../src/client';
import { LOCAL_BATCH_ACCOUNT, LOCAL_STORAGE_ACCOUNT, loadStackSettings } from '../../src/config';
import type { StackSettings } from '../../src/schemas/config';
import { readLocalEntra, type LocalEntra } from '../../src/stack/entra';
import { stackUp } from '../../src/stack/stack';
import { batchClient } from '../helpers/local-batch';
import { ladCodes, testInput } from '../helpers/run-env';
import { ensureStack, uniqueId } from '../helpers/stack';

/** Every message down an error's cause chain (Temporal wraps the activity's failure twice). */
function messages(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) parts.push(String(e.message));
  return parts.join(' <- ');
}

describe('Entra ID authentication (the stack with SPC_STACK_ENTRA=1)', () => {
  let settings: StackSettings;
  let entra: LocalEntra;
  let client: Client;
  let batch: BatchServiceClient;
  const emptyStackDir = mkdtempSync(path.join(tmpdir(), 'spc-entra-nokeys-'));
  const workers: ChildProcess[] = [];
  let workerLog = '';

  before(async () => {
    const config = await ensureStack();
    settings = loadStackSettings({ ...process.env, SPC_STACK_ENTRA: '1' });
    await stackUp(settings, () => undefined);
    entra = readLocalEntra(settings)!;
    client = await connectClient(config);
    // The test's own view of Batch (jobs and tasks the Entra workers made) uses the stack's shared key.
    batch = batchClient(config.AZURE_BATCH_URL, config.AZURE_BATCH_KEY, LOCAL_BATCH_ACCOUNT);
  });
  after(async () => {
    for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGTERM');
    await Promise.all(workers.filter((w) => w.exitCode === null).map((w) => once(w, 'exit')));
    await client?.connection.close();
    rmSync(emptyStackDir, { recursive: true, force: true });
  });

  /** A whole process environment: Entra settings for the local issuer, and no key. */
  function keylessEnv(taskQueue: string, extra: Record<string, string> = {}): Record<string, string> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      SPC_STACK_DIR: emptyStackDir,
      SPC_TEMPORAL_ADDRESS: `127.0.0.1:${settings.SPC_TEMPORAL_PORT}`,
      SPC_TASK_QUEUE: taskQueue,
      SPC_REAPER: 'off',
      AZURE_BATCH_URL: `http://127.0.0.1:${settings.SPC_BATCH_PORT}`,
      AZURE_STORAGE_ACCOUNT_URL: `https://127.0.0.1:${settings.SPC_AZURITE_OAUTH_PORT}/${LOCAL_STORAGE_ACCOUNT}`,
      AZURE_TENANT_ID: entra.tenantId,
      AZURE_CLIENT_ID: entra.clientId,
      AZURE_CLIENT_SECRET: entra.clientSecret,
      AZURE_AUTHORITY_HOST: `https://127.0.0.1:${settings.SPC_ENTRA_ISSUER_PORT}`,
      SPC_ENTRA_INSTANCE_DISCOVERY: 'off',
      NODE_EXTRA_CA_CERTS: entra.tlsCertFile,
      ...extra,
    };
    assert.deepEqual(Object.keys(env).filter((name) => /_KEY$|CONNECTION_STRING/.test(name)), [], 'no key reaches the process');
    return env;
  }

  function startEntraWorker(taskQueue: string, extra: Record<string, string> = {}): ChildProcess {
    const env = keylessEnv(taskQueue, extra);
    const worker = spawn(process.execPath, [path.resolve(__dirname, '../../src/worker.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    // Kept, not printed: the wrong-audience run logs its (expected) failure; a test that fails shows the tail.
    worker.stderr?.on('data', (chunk: Buffer) => (workerLog = (workerLog + chunk.toString('utf8')).slice(-4000)));
    workers.push(worker);
    return worker;
  }

  it('completes a run with tokens only, its SAS URLs signed by a user delegation key', async () => {
    const taskQueue = uniqueId('entra');
    startEntraWorker(taskQueue);
    const runId = uniqueId('entra');
    // The job is kept (terminated) so that the task definitions the worker wrote can be read afterwards.
    const input = testInput(ladCodes(2), { pool: { dedicatedNodes: 2 }, cleanup: { onSuccess: ['pool'], onFailure: ['job', 'pool'] } });
    const summary = await (await startSpcRun(client, input, { workflowId: runId, taskQueue })).result();
    try {
      assert.equal(summary.status, 'completed', `${JSON.stringify(summary.failures)}\nworker stderr: ${workerLog}`);
      assert.deepEqual(summary.counts, { total: 2, succeeded: 2, failed: 0, cancelled: 0 });
      assert.equal(summary.finalCheck?.ok, true);
      const tasks = await batch.task.list(summary.jobId!);
      assert.equal(tasks.length, 2);
      for (const task of tasks) {
        assert.equal(task.executionInfo?.exitCode, 0, task.id);
        const urls = [...(task.resourceFiles ?? []).map((f) => f.httpUrl ?? ''), ...(task.outputFiles ?? []).map((f) => f.destination.container?.containerUrl ?? '')];
        assert.ok(urls.length >= 2, `${task.id} has inputs and an output destination`);
        // skoid/sktid: the signing key is a user delegation key of the worker's identity, not the account key.
        for (const url of urls) assert.match(url, new RegExp(`^https://127\\.0\\.0\\.1:${settings.SPC_AZURITE_OAUTH_PORT}/.*[?&]skoid=${entra.objectId}&sktid=${entra.tenantId}&`), task.id);
      }
    } finally {
      if (summary.jobId) await batch.job.deleteMethod(summary.jobId);
    }
  });

  it('lets `spc doctor` (the CLI shares the clients) reach Storage and Batch with tokens only', async () => {
    const cli = path.resolve(__dirname, '../../src/cli/index.js');
    const { stdout } = await new Promise<{ stdout: string }>((resolve) => {
      execFile(process.execPath, [cli, 'doctor', '--json'], { env: keylessEnv(uniqueId('entra-doctor')), timeout: 60_000 }, (_err, out) => resolve({ stdout: out }));
    });
    const checks = JSON.parse(stdout) as { name: string; ok: boolean; detail: string }[];
    for (const name of ['storage', 'batch']) {
      const check = checks.find((c) => c.name === name);
      assert.equal(check?.ok, true, `${name}: ${JSON.stringify(check)}`);
    }
  });

  it('signs SAS URLs with one cached user delegation key, cutting a SAS to the key\'s end rather than asking again', async () => {
    // In a process of its own, which trusts the stack's certificate (NODE_EXTRA_CA_CERTS is read at start only).
    // A counting policy first in the client's real pipeline: how many user delegation key requests reach Storage.
    const script = `
      const { BlobServiceClient, newPipeline } = require(${JSON.stringify(require.resolve('@azure/storage-blob'))});
      const { loadConfig } = require(${JSON.stringify(path.resolve(__dirname, '../../src/config'))});
      const { defaultCredential } = require(${JSON.stringify(path.resolve(__dirname, '../../src/azure/credential'))});
      const { readUrl, writeUrl } = require(${JSON.stringify(path.resolve(__dirname, '../../src/activities/sas'))});
      (async () => {
        const config = loadConfig();
        const pipeline = newPipeline(defaultCredential(config));
        let keyRequests = 0;
        pipeline.factories.unshift({ create: (next) => ({ sendRequest: (req) => { if (/comp=userdelegationkey/.test(req.url)) keyRequests++; return next.sendRequest(req); } }) });
        const blobs = new BlobServiceClient(config.AZURE_STORAGE_ACCOUNT_URL, pipeline);
        const reads = await Promise.all(Array.from({ length: 10 }, (_, i) => readUrl(blobs, 'c', 'b' + i, 3600000)));
        const week = await writeUrl(blobs, 'c', 7 * 86400000);
        console.log(JSON.stringify({ keyRequests, urls: [...reads, week] }));
      })().catch((err) => { console.error(err); process.exit(1); });`;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['-e', script], { env: keylessEnv(uniqueId('entra-sas')), timeout: 60_000 }, (err, out, errOut) => (err ? reject(new Error(errOut)) : resolve(out)));
    });
    const result = JSON.parse(stdout) as { keyRequests: number; urls: string[] };
    assert.equal(result.keyRequests, 1, 'one key request for 10 concurrent SAS URLs and a later 7-day one');
    const urls = result.urls.map((u) => new URL(u).searchParams);
    assert.equal(new Set(urls.map((q) => `${q.get('skoid')} ${q.get('skt')} ${q.get('ske')}`)).size, 1);
    const week = urls[urls.length - 1];
    assert.equal(week.get('se'), week.get('ske'), 'the 7-day SAS ends with the key');
    assert.ok(Date.parse(week.get('ske')!) - Date.now() > 6.9 * 86_400_000, 'the key is valid for 7 days');
  });

  it('fails a run whose Batch token has the wrong audience at once, saying so', async () => {
    const taskQueue = uniqueId('entra-aud');
    // One slash: the audience becomes https://batch.core.windows.net, which Batch refuses (it wants the slash).
    startEntraWorker(taskQueue, { AZURE_BATCH_SCOPE: 'https://batch.core.windows.net/.default' });
    const handle = await startSpcRun(client, testInput(ladCodes(1)), { workflowId: uniqueId('entra-aud'), taskQueue });
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError, String(err));
      const text = messages(err);
      assert.match(text, /401 AuthenticationFailed/);
      assert.match(text, /wrong audience 'https:\/\/batch\.core\.windows\.net'; Batch accepts only 'https:\/\/batch\.core\.windows\.net\/'/);
      return true;
    });
  });
});
