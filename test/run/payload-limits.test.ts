/**
 * A run many times larger than its Temporal server's limits completes with a full manifest (issue 13): on a dev
 * server whose blob-size error limit is 20 KB and which suggests continue-as-new at 300 events, 120 LADs (whose
 * per-LAD results alone, as 0.1 passed them to finalize, were about 50 KB) run, continue as new, and finalize.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSpcRun } from '../../src/client';
import { readManifest } from '../../src/storage/download';
import { historyOf, runExecutions } from '../helpers/histories';
import { startLimitedTemporal, type LimitedTemporal } from '../helpers/limited-temporal';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

const BLOB_ERROR_BYTES = 20_000;

/** The largest payload (one argument or result) in a history, in bytes. */
function largestPayload(history: Awaited<ReturnType<typeof historyOf>>): number {
  let largest = 0;
  const visit = (value: unknown): void => {
    if (!value || typeof value !== 'object') return;
    const payload = value as { data?: Uint8Array; metadata?: unknown };
    if (payload.data instanceof Uint8Array && payload.metadata) largest = Math.max(largest, payload.data.length);
    for (const child of Object.values(value)) visit(child);
  };
  visit(history.events);
  return largest;
}

describe('a run far larger than the server limits', () => {
  let temporal: LimitedTemporal;
  let env: RunEnv;
  before(async () => {
    temporal = await startLimitedTemporal({
      'limit.blobSize.error': BLOB_ERROR_BYTES,
      'limit.blobSize.warn': BLOB_ERROR_BYTES / 2,
      'limit.historyCount.suggestContinueAsNew': 300,
    });
    env = await startRunEnv({ temporalAddress: temporal.address });
    await env.startWorker();
  });
  after(async () => {
    await env?.close();
    await temporal?.stop();
  });

  it('continues as new when the server suggests it and ends with every LAD in the manifest', async () => {
    const lads = ladCodes(120);
    const runId = uniqueId('limits');
    const input = testInput(lads, {
      pool: { dedicatedNodes: 6, taskSlotsPerNode: 2 },
      recipe: { name: 'custom', command: 'mkdir -p output && echo "lad,{lad}" > output/{lad}.csv' },
      outputs: { expectedFiles: ['{lad}.csv'] },
      maxConcurrentLads: 24,
    });
    const handle = await startSpcRun(env.client, input, { workflowId: runId, taskQueue: env.taskQueue });
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    assert.deepEqual(summary.counts, { total: 120, succeeded: 120, failed: 0, cancelled: 0 });

    const parents = (await runExecutions(env.client, runId)).filter((e) => e.type === 'spcRun');
    assert.ok(parents.length >= 2, `continued as new (${parents.length} parent runs)`);
    for (const parent of parents) {
      const size = largestPayload(await historyOf(env.client, runId, parent.runId));
      assert.ok(size < BLOB_ERROR_BYTES / 2, `largest payload of a parent run: ${size} bytes`);
    }

    const manifest = await readManifest(env.blobs.getContainerClient(summary.container!));
    assert.deepEqual(manifest.lads.map((l) => l.lad), lads);
    // Every entry has its attempts, read back from the LAD records the children wrote.
    assert.ok(manifest.lads.every((l) => l.status === 'succeeded' && l.attempts.length === 1 && l.taskIds[0] === `${l.lad}-a1` && l.files.length === 1));
    await env.blobs.getContainerClient(summary.container!).delete();
  });
});
