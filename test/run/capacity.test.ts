/**
 * Capacity and cost of a run on the stack (issue 10 items 3 and 4), against the local Batch service's core quotas:
 * a VM family without quota makes the run fall back to the next of `pool.vmSizes` (audited, completes there); a
 * pool left without nodes says why in the progress query, the memo and the CLI bar; a run passing its budget stops
 * like the failure threshold, queued LADs cancelled, `failed` with the reason; node-hours are priced per size.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSpcRun } from '../../src/client';
import { renderProgress } from '../../src/cli/progress-bar';
import { poolIdOf } from '../../src/schemas/names';
import { progressQuery } from '../../src/workflows/messages';
import { waitFor } from '../helpers/local-batch';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

const quick = { recipe: { name: 'custom' as const, command: 'mkdir -p output && echo "lad,{lad}" > output/{lad}.csv' }, outputs: { expectedFiles: ['{lad}.csv'] } };

describe('spcRun capacity and cost', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(async () => {
    await env.batch.admin.setQuotas({ dedicatedCoreQuotaPerVMFamily: null });
    await env.close();
  });

  it('falls back to the next VM size when the first one has no core quota, audits it and completes there', { timeout: 90_000 }, async () => {
    // Standard_D2s_v3 needs 2 cores of its family; 1 is allowed: the pool gets no node (AccountVMSeriesCoreQuotaReached).
    await env.batch.admin.setQuotas({ dedicatedCoreQuotaPerVMFamily: { standardDSv3Family: 1 } });
    const runId = uniqueId('fallback');
    const input = testInput(ladCodes(3), { ...quick, pool: { vmSizes: ['Standard_D2s_v3', 'Standard_F2s_v2'], dedicatedNodes: 1 }, poolWatch: { pollMs: 200, reportMs: 2000, zeroNodesMs: 60_000 } });
    const summary = await (await startSpcRun(env.client, input, { workflowId: runId, taskQueue: env.taskQueue })).result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary));
    const fallback = summary.audit.find((a) => a.action === 'vm size fallback');
    assert.ok(fallback, JSON.stringify(summary.audit));
    assert.equal(fallback.detail, `pool ${poolIdOf(runId)}: Standard_D2s_v3 -> Standard_F2s_v2`);
    assert.match(fallback.reason ?? '', /^AccountVMSeriesCoreQuotaReached: .*dedicated core \(standardDSv3Family\) quota/);
    // The LADs ran on the second size: its node time is what the run was billed for.
    const f2 = summary.cost?.lines.find((l) => l.vmSize === 'standard_f2s_v2' && l.priority === 'dedicated');
    assert.ok(f2 && f2.nodeHours > 0 && f2.cost! > 0, JSON.stringify(summary.cost));
    assert.equal(summary.cost?.lines.find((l) => l.vmSize === 'standard_d2s_v3')?.nodeHours ?? 0, 0);
    assert.equal(summary.cost?.currency, 'USD');
    await env.batch.admin.setQuotas({ dedicatedCoreQuotaPerVMFamily: null });
    await env.blobs.getContainerClient(summary.container!).delete();
  });

  it('says why a pool has had no node past the limit: progress, memo and the CLI bar name the resize error', { timeout: 90_000 }, async () => {
    await env.batch.admin.setQuotas({ dedicatedCoreQuotaPerVMFamily: { standardDSv3Family: 1 } });
    const runId = uniqueId('zeronodes');
    const input = testInput(ladCodes(2), { ...quick, pool: { vmSize: 'Standard_D2s_v3', dedicatedNodes: 1 }, poolWatch: { pollMs: 200, reportMs: 60_000, zeroNodesMs: 1500 } });
    const handle = await startSpcRun(env.client, input, { workflowId: runId, taskQueue: env.taskQueue });
    const progress = await waitFor('the run saying why it has no node', async () => {
      const p = await handle.query(progressQuery);
      return p.capacity?.stuck ? p : undefined;
    }, 30_000, 200);
    assert.match(progress.capacity!.stuck!, /^AccountVMSeriesCoreQuotaReached: The specified account has reached its dedicated core \(standardDSv3Family\) quota/);
    assert.equal(progress.capacity!.vmSize, 'Standard_D2s_v3');
    assert.deepEqual(progress.capacity!.nodes, { dedicated: 0, spot: 0 });
    assert.ok(progress.audit.some((a) => a.action === 'pool has no node' && a.reason === progress.capacity!.stuck));
    assert.match(renderProgress(progress), /0 nodes since \S+ \(Standard_D2s_v3\): AccountVMSeriesCoreQuotaReached/);
    const memo = (await handle.describe()).memo?.spc as { capacity?: { stuck?: string } };
    assert.equal(memo.capacity?.stuck, progress.capacity!.stuck);
    // Quota raised: the pool resizes on the user's scale and the run says it has nodes again.
    await env.batch.admin.setQuotas({ dedicatedCoreQuotaPerVMFamily: null });
    await env.batch.client.pool.resize(poolIdOf(runId), { targetDedicatedNodes: 2 });
    await waitFor('the run seeing nodes again', async () => {
      const p = await handle.query(progressQuery);
      return p.capacity?.stuck === undefined && p.audit.some((a) => a.action === 'pool has nodes again') ? true : undefined;
    }, 30_000, 200);
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    await env.blobs.getContainerClient(summary.container!).delete();
  });

  it('stops a run whose estimated cost passes its budget: queued LADs cancelled, failed with the reason', { timeout: 90_000 }, async () => {
    const runId = uniqueId('budget');
    const input = testInput(ladCodes(6), {
      recipe: { name: 'spenser-sim', options: { durationMs: 4000, scale: 0.01 } },
      pool: { dedicatedNodes: 1 },
      maxConcurrentLads: 1,
      budget: 0.000001,
      poolWatch: { pollMs: 200, reportMs: 1000, zeroNodesMs: 60_000 },
    });
    const summary = await (await startSpcRun(env.client, input, { workflowId: runId, taskQueue: env.taskQueue })).result();
    assert.equal(summary.status, 'failed');
    assert.match(summary.reason ?? '', /^budget exceeded: estimated cost \S+ USD > budget 0\.0000010 USD$/);
    assert.ok(summary.counts.cancelled >= 4, JSON.stringify(summary.counts));
    assert.ok(summary.cost!.estimate! > summary.cost!.budget!, JSON.stringify(summary.cost));
    assert.equal(summary.cost!.budget, 0.000001);
    await env.blobs.getContainerClient(summary.container!).delete().catch(() => undefined);
  });
});
