import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { startSpcRun } from '../../src/client';
import { ManifestSchema } from '../../src/schemas/manifest';
import { waitFor } from '../helpers/local-batch';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

describe('spcRun survives its worker being killed', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
  });
  after(() => env.close());

  it('completes with every LAD exactly once in the manifest after the worker process is SIGKILLed three times', async () => {
    const lads = ladCodes(12);
    const runId = uniqueId('crash');
    let worker = env.spawnWorker();
    const handle = await startSpcRun(
      env.client,
      testInput(lads, { pool: { dedicatedNodes: 2 }, recipe: { name: 'spenser-sim', options: { durationMs: 3000, scale: 0.01 } }, timeouts: { heartbeatMs: 3000 } }),
      { workflowId: runId, taskQueue: env.taskQueue },
    );
    let kills = 0;
    let before = 0;
    while (kills < 3) {
      // Kill while LADs are in flight, each time after at least one more LAD finished since the last kill.
      // Counted from visibility, not the progress query: a query waits while the run has a workflow task in flight,
      // and a busy run (a result signal and a completion per LAD) can keep it waiting until every LAD is done.
      const succeeded = await waitFor(`a LAD finished before kill ${kills + 1}`, async () => {
        const { count } = await env.client.workflow.count(`SpcRunId = '${runId}' AND WorkflowType = 'ladRun' AND ExecutionStatus = 'Completed'`).catch(() => ({ count: 0 }));
        return count > before ? count : undefined;
      }, 90_000, 100);
      if (succeeded === lads.length) break;
      before = succeeded;
      worker.kill('SIGKILL');
      await once(worker, 'exit');
      kills++;
      worker = env.spawnWorker();
    }
    assert.ok(kills >= 2, `killed the worker mid-run ${kills} times`);
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    assert.deepEqual(summary.counts, { total: 12, succeeded: 12, failed: 0, cancelled: 0 });
    const manifest = ManifestSchema.parse(
      JSON.parse((await env.blobs.getContainerClient(summary.container!).getBlobClient('manifest.json').downloadToBuffer()).toString('utf8')),
    );
    assert.deepEqual(manifest.lads.map((l) => l.lad).sort(), [...lads].sort(), 'each LAD exactly once');
    assert.ok(manifest.lads.every((l) => l.status === 'succeeded' && l.files.length === 69));
    worker.kill('SIGTERM');
    await once(worker, 'exit');
    await env.blobs.getContainerClient(summary.container!).delete();
  });
});
