/**
 * Batch account quotas met by a run (issue 10 item 3), against the local Batch service's quota model: a full
 * active-job quota makes the run wait on a durable timer and go on once a job ends; a full pool quota fails the run
 * with one line naming the quota and how to raise it, leaving nothing behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { startSpcRun } from '../../src/client';
import { jobIdOf, poolIdOf } from '../../src/schemas/names';
import { progressQuery } from '../../src/workflows/messages';
import { rejection, waitFor } from '../helpers/local-batch';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

const quick = { recipe: { name: 'custom' as const, command: 'mkdir -p output && echo "lad,{lad}" > output/{lad}.csv' }, outputs: { expectedFiles: ['{lad}.csv'] } };

describe('spcRun and the Batch account quotas', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(async () => {
    await env.batch.admin.setQuotas({ activeJobAndJobScheduleQuota: null, poolQuota: null });
    await env.close();
  });

  it('waits while the active-job quota is full and proceeds when another job ends', async () => {
    await env.batch.admin.setQuotas({ activeJobAndJobScheduleQuota: 1 });
    const other = uniqueId('other-job');
    await env.batch.client.job.add({ id: other, poolInfo: { poolId: 'someone-elses-pool' } });
    const runId = uniqueId('jobquota');
    const handle = await startSpcRun(env.client, testInput(ladCodes(2), { ...quick, timeouts: { heartbeatMs: 5000, quotaRetryMs: 1000 } }), { workflowId: runId, taskQueue: env.taskQueue });
    const waiting = await waitFor('the run waiting for the job quota', async () => {
      const progress = await handle.query(progressQuery);
      return progress.audit.find((a) => a.action === 'waiting for the job quota');
    }, 30_000, 200);
    assert.match(waiting.detail ?? '', /quota of active jobs and job schedules is reached \(ActiveJobAndScheduleQuotaReached\); raise it/);
    assert.equal((await handle.query(progressQuery)).status, 'preparing');
    // Nothing of the run exists while it waits.
    assert.equal((await rejection(env.batch.client.pool.get(poolIdOf(runId)))).statusCode, 404);
    await env.batch.client.job.deleteMethod(other);
    const summary = await handle.result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    assert.equal(summary.counts.succeeded, 2);
    await env.batch.admin.setQuotas({ activeJobAndJobScheduleQuota: null });
    await env.blobs.getContainerClient(summary.container!).delete();
  });

  it('fails at once with the quota named when the pool quota is full, leaving no job behind', async () => {
    await env.batch.admin.setQuotas({ poolQuota: 0 });
    const runId = uniqueId('poolquota');
    const handle = await startSpcRun(env.client, testInput(ladCodes(2), quick), { workflowId: runId, taskQueue: env.taskQueue });
    const started = Date.now();
    const err = await handle.result().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.match(String((err.cause?.cause as Error | undefined)?.message ?? err.cause?.message), /pool quota is reached \(PoolQuotaReached\); raise it in the Azure portal/);
    assert.ok(Date.now() - started < 30_000, 'failed without retrying for minutes');
    // The job prepare made first is released (deleted; it is gone once its deletion finishes).
    await waitFor('the run\'s job deleted', () => env.batch.client.job.get(jobIdOf(runId)).then(() => undefined, (e: { statusCode?: number }) => (e.statusCode === 404 ? true : undefined)), 20_000, 200);
    await env.batch.admin.setQuotas({ poolQuota: null });
  });
});
