import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSpcRun } from '../../src/client';
import { ManifestSchema } from '../../src/schemas/manifest';
import { runExecutions } from '../helpers/histories';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

describe('spcRun keeps its history bounded', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(() => env.close());

  it('continues as new past the event threshold, carrying its state: every LAD once, counts right', async () => {
    const lads = ladCodes(60);
    const runId = uniqueId('can');
    const input = testInput(lads, {
      pool: { dedicatedNodes: 6 },
      // One small output file per LAD keeps the 60 tasks quick; the 69-file contract is covered by the happy path.
      recipe: { name: 'custom', command: 'mkdir -p output && echo "lad,{lad}" > output/{lad}.csv' },
      outputs: { expectedFiles: ['{lad}.csv'] },
      maxConcurrentLads: 12,
      continueAsNewAfterEvents: 200,
    });
    const handle = await startSpcRun(env.client, input, { workflowId: runId, taskQueue: env.taskQueue });
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    assert.deepEqual(summary.counts, { total: 60, succeeded: 60, failed: 0, cancelled: 0 });
    const parents = (await runExecutions(env.client, runId)).filter((e) => e.type === 'spcRun');
    assert.ok(parents.length >= 2, `continued as new (${parents.length} parent runs)`);
    for (const parent of parents) {
      const events = (await env.client.workflow.getHandle(runId, parent.runId).fetchHistory()).events ?? [];
      assert.ok(events.length < 200 + 12 * 8, `a parent run has ${events.length} events`);
    }
    const manifest = ManifestSchema.parse(
      JSON.parse((await env.blobs.getContainerClient(summary.container!).getBlobClient('manifest.json').downloadToBuffer()).toString('utf8')),
    );
    assert.deepEqual(manifest.lads.map((l) => l.lad), lads);
    assert.ok(manifest.lads.every((l) => l.status === 'succeeded' && l.attempts.length === 1 && l.files.length === 1));
    await env.blobs.getContainerClient(summary.container!).delete();
  });
});
