import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { RunSummary } from '../../src/schemas/summary';
import { launchBrowser } from '../helpers/browser';
import { json, spc } from '../helpers/cli';
import { startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';
import { startedWith } from '../helpers/start-options';

function inputFile(input: object): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'spc-cli-')), 'input.json');
  writeFileSync(file, JSON.stringify(input));
  return file;
}

describe('the spc CLI, driven as a subprocess', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(() => env.close());

  it('rejects invalid LADs before starting anything, naming the field, exit 2', async () => {
    const runId = uniqueId('cli-bad');
    const result = await spc(env.config, ['run', '--lads', 'E06000001,E0600001; rm -rf /', '--run-id', runId]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /input\.lads\.1: "E0600001; rm -rf \/" must match/);
    await assert.rejects(env.client.workflow.getHandle(runId).describe(), WorkflowNotFoundError);
  });

  it('reads a LAD list CSV from disk and rejects a file without a LAD column', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spc-cli-'));
    writeFileSync(path.join(dir, 'bad.csv'), 'name\nHartlepool\n');
    const result = await spc(env.config, ['run', '--lads-file', path.join(dir, 'bad.csv'), '--run-id', uniqueId('cli-csv')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--lads-file: .*"LAD20CD" or "LAD code"/);
  });

  it('starts a run with the 1-minute workflow task timeout and its run id and LAD count as search attributes', async () => {
    const runId = uniqueId('cli-start');
    // No worker polls this queue, so what describe() shows comes from the start options alone, not from the run.
    const queue = uniqueId('no-worker');
    const started = await spc(env.config, ['run', '--lads', 'E06000001,E06000002,W06000001', '--run-id', runId, '--task-queue', queue, '--detach']);
    assert.equal(started.code, 0, started.stderr);
    try {
      assert.deepEqual(await startedWith(env.client, runId), { workflowTaskTimeoutMs: 60_000, runId, status: 'preparing', ladCount: 3, scheduledBy: undefined });
    } finally {
      await env.client.workflow.getHandle(runId).terminate('test done: nothing polls its task queue');
    }
  });

  it('runs to completion, then status, runs and download agree; a second download resumes; a bad local file is replaced', async () => {
    const runId = uniqueId('cli-run');
    const dir = mkdtempSync(path.join(tmpdir(), 'spc-cli-csv-'));
    writeFileSync(path.join(dir, 'lads.csv'), 'LAD20CD,LAD20NM\nE06000001,Hartlepool\nW06000001,Isle of Anglesey\n');
    const { lads: _, ...rest } = testInput([]);
    const run = await spc(env.config, ['run', '--lads-file', path.join(dir, 'lads.csv'), '--input', inputFile(rest), '--run-id', runId]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, new RegExp(`run ${runId}: completed`));
    assert.match(run.stdout, /2 succeeded, 0 failed/);

    const status = json<{ summary: RunSummary }>(await spc(env.config, ['status', runId, '--json']));
    assert.equal(status.summary.status, 'completed');
    const runs = json<{ runId: string; status: string }[]>(await spc(env.config, ['runs', '--json', '--limit', '50']));
    assert.equal(runs.find((r) => r.runId === runId)?.status, 'completed');

    const to = mkdtempSync(path.join(tmpdir(), 'spc-dl-'));
    const first = json<{ downloaded: string[]; failed: unknown[] }>(await spc(env.config, ['download', runId, '--to', to, '--json']));
    assert.equal(first.downloaded.length, 138);
    assert.deepEqual(first.failed, []);
    assert.equal(readdirSync(path.join(to, 'W06000001')).length, 69);

    const good = path.join(to, 'E06000001', 'hh_E06000001_OA11_2011.csv');
    const goodText = readFileSync(good, 'utf8');
    writeFileSync(good, 'corrupted');
    const second = json<{ downloaded: string[]; skipped: string[] }>(
      await spc(env.config, ['download', runId, '--to', to, '--lad', 'E06000001', '--json']),
    );
    assert.deepEqual(second.downloaded, ['E06000001/hh_E06000001_OA11_2011.csv']);
    assert.equal(second.skipped.length, 68);
    assert.equal(readFileSync(good, 'utf8'), goodText);
  });

  it('detaches, then pause, scale, resume and cancel print what changed and the run ends cancelled with an audit trail', async () => {
    const runId = uniqueId('cli-ctl');
    const input = testInput(['E06000001', 'E06000002', 'E06000003', 'E06000004'], {
      recipe: { name: 'spenser-sim', options: { durationMs: 20_000, scale: 0.01 } },
      pool: { dedicatedNodes: 1 },
    });
    const started = await spc(env.config, ['run', '--input', inputFile(input), '--run-id', runId, '--detach', '--json']);
    assert.equal(started.code, 0, started.stderr);
    assert.equal(json<{ runId: string }>(started).runId, runId);

    const pause = await spc(env.config, ['pause', runId, '--reason', 'quota review']);
    assert.equal(pause.code, 0, pause.stderr);
    assert.match(pause.stdout, /pause sent; status \w+ -> paused/);

    const scale = json<{ targetDedicated: number }>(await spc(env.config, ['scale', runId, '2', '--reason', 'more quota', '--json']));
    assert.equal(scale.targetDedicated, 2);
    const badScale = await spc(env.config, ['scale', runId, '-3']);
    assert.equal(badScale.code, 2);
    assert.match(badScale.stderr, /dedicatedNodes: must be >= 0/);

    const resume = await spc(env.config, ['resume', runId]);
    assert.match(resume.stdout, /resume sent; status paused -> (running|preparing)/);

    const cancel = await spc(env.config, ['cancel', runId, '--reason', 'wrong inputs']);
    assert.equal(cancel.code, 0, cancel.stderr);
    const watched = await spc(env.config, ['watch', runId, '--json']);
    assert.equal(watched.code, 3, 'a cancelled run exits 3');
    const summary = json<RunSummary>(watched);
    assert.equal(summary.status, 'cancelled');
    // The order entry is written when prepare ends, which the pause may come before.
    assert.deepEqual(
      summary.audit.map((a) => a.action).filter((a) => a !== 'order'),
      ['pause', 'scalePool', 'resume', 'cancel'],
    );
    assert.equal(summary.audit.filter((a) => a.action === 'order').length, 1);
    assert.equal(summary.audit.find((a) => a.action === 'cancel')?.reason, 'wrong inputs');
  });

  it('writes a run report that renders in Chromium: one timeline bar per attempt, one table row per LAD', async () => {
    const runId = uniqueId('cli-report');
    const input = testInput(['E06000001', 'E06000002', 'S12000033'], {
      recipe: { name: 'spenser-sim', options: { durationMs: 300, scale: 0.01, failAttempts: { E06000002: 1 } } },
    });
    const run = await spc(env.config, ['run', '--input', inputFile(input), '--run-id', runId]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'spc-report-')), 'report.html');
    const report = await spc(env.config, ['report', runId, '--to', file]);
    assert.equal(report.code, 0, report.stderr);
    assert.equal(report.stdout.trim(), file);

    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`file://${file}`);
      assert.equal(await page.locator('svg.timeline rect.attempt').count(), 4);
      assert.equal(await page.locator('svg.timeline rect.attempt.failed').count(), 1);
      assert.equal(await page.locator('table.lads tr.lad-row').count(), 3);
      assert.equal(await page.locator('tr.lad-row[data-lad="E06000002"] td').nth(2).textContent(), '2');
    } finally {
      await browser.close();
    }
    const stored = await env.blobs.getContainerClient(`spc-${runId}`).getBlobClient('report.html').downloadToBuffer();
    assert.equal(stored.toString('utf8'), readFileSync(file, 'utf8'));
  });

  it('says a run does not exist with exit 5', async () => {
    const result = await spc(env.config, ['status', uniqueId('nope')]);
    assert.equal(result.code, 5);
    assert.match(result.stderr, /run .* not found/);
  });

  it('doctor passes with a worker polling, with a connection string or Azure-style storage variables, and names a wrong Batch key with its fix', async () => {
    const ok = await spc(env.config, ['doctor']);
    assert.equal(ok.code, 0, ok.stdout);
    assert.equal(ok.stdout.trim().split('\n').length, 7);
    // Which temporal.toml profile applied and whether TLS is on (the local stack: none, plaintext).
    assert.match(ok.stdout, /^ok {3}connection +no temporal\.toml profile .*, TLS off$/m);
    const storage = /AccountName=([^;]+);AccountKey=([^;]+);BlobEndpoint=([^;]+);/.exec(env.config.AZURE_STORAGE_CONNECTION_STRING);
    assert.ok(storage, 'the local stack uses a key-based connection string');
    const azureStyle = await spc(env.config, ['doctor', '--json'], {
      AZURE_STORAGE_CONNECTION_STRING: undefined,
      AZURE_STORAGE_ACCOUNT_NAME: storage[1],
      AZURE_STORAGE_ACCOUNT_KEY: storage[2],
      AZURE_STORAGE_BLOB_ENDPOINT: storage[3],
    });
    assert.equal(azureStyle.code, 0, azureStyle.stdout);
    assert.ok(json<{ ok: boolean }[]>(azureStyle).every((check) => check.ok));
    const bad = await spc(env.config, ['doctor'], { AZURE_BATCH_KEY: Buffer.from('wrong key').toString('base64') });
    assert.equal(bad.code, 6);
    assert.match(bad.stdout, /FAIL batch .*403.*AuthenticationFailed.* -> AZURE_BATCH_KEY is not the key of AZURE_BATCH_ACCOUNT/);
  });

  it('has --help with an example on every command', async () => {
    for (const command of ['run', 'status', 'runs', 'watch', 'pause', 'resume', 'scale', 'cancel', 'download', 'report', 'doctor', 'schedule create']) {
      const help = await spc(env.config, [...command.split(' '), '--help']);
      assert.equal(help.code, 0, command);
      assert.match(help.stdout, /Example:\n {2}spc /, command);
    }
  });
});
