import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSpcRun } from '../../src/client';
import { ManifestSchema } from '../../src/schemas/manifest';
import { allRunHistoryText } from '../helpers/histories';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

describe('spcRun with failing LADs', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(() => env.close());

  it('retries a LAD that fails once (two attempts recorded), ends completed_with_failures for one that always fails, others complete', async () => {
    const [flaky, broken, ...others] = ladCodes(5);
    const runId = uniqueId('fail');
    const input = testInput([flaky, broken, ...others], {
      recipe: { name: 'spenser-sim', options: { durationMs: 200, scale: 0.01, failAttempts: { [flaky]: 1, [broken]: 99 } } },
      retry: { maxAttempts: 3, backoffMs: 100 },
    });
    const summary = await (await startSpcRun(env.client, input, { workflowId: runId, taskQueue: env.taskQueue })).result();

    assert.equal(summary.status, 'completed_with_failures');
    assert.deepEqual(summary.counts, { total: 5, succeeded: 4, failed: 1, cancelled: 0 });
    assert.equal(summary.failures.length, 1);
    const failure = summary.failures[0];
    assert.equal(failure.lad, broken);
    assert.equal(failure.attempts, 3);
    assert.equal(failure.lastAttempt?.exitCode, 1);
    assert.match(failure.lastAttempt?.stderrTail ?? '', /spenser-sim/, 'stderr tail of the failed task in the summary');

    const manifest = ManifestSchema.parse(
      JSON.parse((await env.blobs.getContainerClient(summary.container!).getBlobClient('manifest.json').downloadToBuffer()).toString('utf8')),
    );
    assert.equal(manifest.lads.length, 5, 'every LAD exactly once');
    const flakyEntry = manifest.lads.find((l) => l.lad === flaky)!;
    assert.equal(flakyEntry.status, 'succeeded');
    assert.deepEqual(flakyEntry.taskIds, [`${flaky}-a1`, `${flaky}-a2`]);
    assert.deepEqual(flakyEntry.attempts.map((a) => a.outcome), ['failure', 'success']);
    assert.equal(flakyEntry.attempts[0].exitCode, 1);
    assert.equal(flakyEntry.files.length, 69);
    const brokenEntry = manifest.lads.find((l) => l.lad === broken)!;
    assert.equal(brokenEntry.status, 'failed');
    assert.deepEqual(brokenEntry.taskIds, [`${broken}-a1`, `${broken}-a2`, `${broken}-a3`]);
    assert.equal(brokenEntry.files.length, 0);
    assert.equal(summary.finalCheck?.ok, false, 'the final check reports the failed LAD');
    for (const lad of others) assert.equal(manifest.lads.find((l) => l.lad === lad)?.status, 'succeeded');

    // No account key, connection string or SAS token anywhere in the run's histories (parent and children).
    const { count, text } = await allRunHistoryText(env.client, runId);
    assert.equal(count, 6, 'parent and five children found by SpcRunId');
    const storageKey = /AccountKey=([^;]+)/.exec(env.config.AZURE_STORAGE_CONNECTION_STRING)![1];
    for (const secret of [env.config.AZURE_BATCH_KEY, storageKey]) assert.ok(!text.includes(secret), 'an account key is in a history');
    assert.ok(!/[?&]sig=/.test(text) && !/\bsig%3D/i.test(text), 'a SAS signature is in a history');
    assert.ok(!/AccountKey=/.test(text), 'a connection string is in a history');
    await env.blobs.getContainerClient(summary.container!).delete();
  });
});
