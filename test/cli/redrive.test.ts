import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManifestSchema, type Manifest } from '../../src/schemas/manifest';
import type { RunSummary } from '../../src/schemas/summary';
import { json, spc } from '../helpers/cli';
import { startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';
import { startedWith } from '../helpers/start-options';

describe('spc redrive: re-run the LADs whose outputs fail the contract', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(() => env.close());

  async function manifestOf(container: string): Promise<Manifest> {
    const body = await env.blobs.getContainerClient(container).getBlobClient('manifest.json').downloadToBuffer();
    return ManifestSchema.parse(JSON.parse(body.toString('utf8')));
  }

  it('redrives the failed LAD into the same container; the original manifest is updated for that LAD only', async () => {
    const runId = uniqueId('redrive');
    // E06000002 fails its first two attempts: with two attempts allowed, it fails for good in the original run;
    // the redrive continues at attempt 3, which succeeds.
    const input = testInput(['E06000001', 'E06000002', 'E06000003'], {
      recipe: { name: 'spenser-sim', options: { durationMs: 300, scale: 0.01, failAttempts: { E06000002: 2 } } },
      retry: { maxAttempts: 2, backoffMs: 200 },
    });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'spc-redrive-')), 'input.json');
    writeFileSync(file, JSON.stringify(input));
    const run = await spc(env.config, ['run', '--input', file, '--run-id', runId, '--json']);
    assert.equal(run.code, 4, run.stderr);
    const original = json<RunSummary>(run);
    assert.equal(original.status, 'completed_with_failures');
    const before = await manifestOf(original.container!);
    assert.deepEqual(before.lads.map((l) => [l.lad, l.status]), [['E06000001', 'succeeded'], ['E06000002', 'failed'], ['E06000003', 'succeeded']]);

    const redrive = await spc(env.config, ['redrive', runId, '--json']);
    assert.equal(redrive.code, 0, redrive.stderr);
    const summary = json<RunSummary & { workflowId: string; redriveOf: string }>(redrive);
    assert.equal(summary.workflowId, `${runId}-redrive-1`);
    assert.equal(summary.redriveOf, runId);
    assert.equal(summary.status, 'completed');
    assert.deepEqual(summary.counts, { total: 1, succeeded: 1, failed: 0, cancelled: 0 });
    assert.equal(summary.container, original.container, 'same container');
    const redriveStart = await startedWith(env.client, summary.workflowId);
    assert.deepEqual(redriveStart, { workflowTaskTimeoutMs: 60_000, runId: summary.runId, status: 'completed', ladCount: 1, scheduledBy: undefined });

    const after = await manifestOf(original.container!);
    assert.equal(after.runId, runId, 'the original manifest, not a new one');
    assert.deepEqual(after.lads.map((l) => [l.lad, l.status, l.outputsOk]), [['E06000001', 'succeeded', true], ['E06000002', 'succeeded', true], ['E06000003', 'succeeded', true]]);
    assert.deepEqual(after.lads[0], before.lads[0], 'other LADs untouched');
    assert.deepEqual(after.lads[2], before.lads[2], 'other LADs untouched');
    const redriven = after.lads[1];
    assert.deepEqual(redriven.attempts.map((a) => [a.attempt, a.outcome]), [[1, 'failure'], [2, 'failure'], [3, 'success']]);
    assert.equal(redriven.files.length, 69);
    assert.equal(redriven.redriveRunId, summary.runId);
    assert.deepEqual(after.redrives?.map((r) => [r.runId, r.lads]), [[summary.runId, [{ lad: 'E06000002', status: 'succeeded' }]]]);
    assert.equal(after.finalCheck.ok, true, JSON.stringify(after.finalCheck.problems));
    assert.equal(after.finalCheck.checkedLads, 3);

    // Nothing left to redrive now.
    const again = await spc(env.config, ['redrive', runId]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to redrive/);
  });

  it('rejects an unknown run (exit 5) and shows an example in --help', async () => {
    const missing = await spc(env.config, ['redrive', uniqueId('nope')]);
    assert.equal(missing.code, 5);
    const help = await spc(env.config, ['redrive', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Example:\n {2}spc redrive /);
  });
});
