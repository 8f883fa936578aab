import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getProgress, startSpcRun } from '../../src/client';
import { expectedLadFiles, regionOf, ASSIGNMENT_YEARS } from '../../src/outputs/contract';
import { ManifestSchema } from '../../src/schemas/manifest';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

describe('spcRun happy path over 20 LADs', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(() => env.close());

  it('completes every LAD, writes a complete manifest, 69 files per LAD, and collates ass_* by region and year', async () => {
    const lads = [...ladCodes(14), ...ladCodes(3, 'W0600'), ...ladCodes(3, 'S1200')];
    const runId = uniqueId('happy');
    const handle = await startSpcRun(env.client, testInput(lads, { pool: { dedicatedNodes: 5 } }), { workflowId: runId, taskQueue: env.taskQueue });
    const summary = await handle.result();

    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    assert.deepEqual(summary.counts, { total: 20, succeeded: 20, failed: 0, cancelled: 0 });
    assert.equal(summary.finalCheck?.ok, true);
    assert.equal(summary.collated, 200);
    assert.deepEqual(summary.cleanedUp, [`job ${summary.jobId}`]);

    const container = env.blobs.getContainerClient(summary.container!);
    const manifest = ManifestSchema.parse(JSON.parse((await container.getBlobClient('manifest.json').downloadToBuffer()).toString('utf8')));
    assert.deepEqual(manifest.lads.map((l) => l.lad).sort(), [...lads].sort());
    for (const entry of manifest.lads) {
      assert.equal(entry.status, 'succeeded');
      assert.equal(entry.outputsOk, true);
      assert.deepEqual(entry.files.map((f) => f.name).sort(), expectedLadFiles(entry.lad).sort());
      assert.ok(entry.files.every((f) => f.size > 0 && f.md5 && f.md5.length > 0), `sizes and MD5 for ${entry.lad}`);
      assert.equal(entry.attempts.length, 1);
      assert.equal(entry.exitCode, 0);
      assert.ok(entry.nodeId && entry.startTime && entry.endTime && entry.durationMs !== undefined);
      assert.deepEqual(entry.taskIds, [`${entry.lad}-a1`]);
    }
    for (const lad of lads) {
      for (const year of ASSIGNMENT_YEARS) {
        const names = [`ass_${lad}_MSOA11_${year}.csv`, `ass_hh_${lad}_OA11_${year}.csv`];
        for (const name of names) assert.ok(await container.getBlobClient(`${regionOf(lad)}/${year}/${name}`).exists(), `${regionOf(lad)}/${year}/${name}`);
      }
    }
    const progress = await getProgress(handle);
    assert.equal(progress.counts.succeeded, 20);
    assert.equal(progress.status, 'completed');
    await container.delete();
  });
});
