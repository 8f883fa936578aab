import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { vmSizeInfo } from '../../src/local-batch/model/vm-sizes';
import { LocalBatchAdminClient } from '../../src/local-batch/admin-client';
import { BatchProcess, freePort, rejection, startTestBatch, waitFor, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

/** Waits until the pool is steady and returns it (the nodes it got and its resizeErrors). */
function steadyPool(b: TestBatch, poolId: string) {
  return waitFor(`pool ${poolId} steady`, async () => {
    const pool = await b.client.pool.get(poolId);
    return pool.allocationState === 'steady' ? pool : undefined;
  });
}

const valuesOf = (error: { values?: { name?: string; value?: string }[] }) =>
  Object.fromEntries((error.values ?? []).map((v) => [v.name, v.value]));

describe('local Batch account quotas and capacity: real codes, resizeErrors instead of failed requests', () => {
  let b: TestBatch | undefined;
  afterEach(async () => {
    await b?.stop();
    b = undefined;
  });

  it('derives cores and quota family from the VM size name', () => {
    assert.deepEqual(vmSizeInfo('Standard_D2s_v3'), { cores: 2, family: 'standardDSv3Family' });
    assert.deepEqual(vmSizeInfo('standard_d16ds_v5'), { cores: 16, family: 'standardDDSv5Family' });
    assert.deepEqual(vmSizeInfo('Standard_F4s_v2'), { cores: 4, family: 'standardFSv2Family' });
    assert.deepEqual(vmSizeInfo('Standard_A1_v2'), { cores: 1, family: 'standardAv2Family' });
    assert.deepEqual(vmSizeInfo('Standard_NC6s_v3'), { cores: 6, family: 'standardNCSv3Family' });
    assert.deepEqual(vmSizeInfo('Standard_NC24ads_A100_v4'), { cores: 24, family: 'standardNCADSv4Family' });
    assert.equal(vmSizeInfo('mystery').cores, 1);
  });

  it('the stack service reads its quotas from SPC_BATCH_QUOTAS', async () => {
    const stackDir = mkdtempSync(path.join(tmpdir(), 'spc-quota-stack-'));
    const service = new BatchProcess(stackDir, await freePort(), { SPC_BATCH_QUOTAS: JSON.stringify({ poolQuota: 3, dedicatedCoreQuotaPerVMFamily: { standardDSv3Family: 8 } }) });
    try {
      await service.start();
      const report = await new LocalBatchAdminClient(service.url, service.accountKey).getQuotas();
      assert.deepEqual(report.quotas, { poolQuota: 3, dedicatedCoreQuotaPerVMFamily: { standardDSv3Family: 8 } });
    } finally {
      await service.kill9();
      rmSync(stackDir, { recursive: true, force: true });
    }
  });

  it('Pool_Add past the pool quota is 409 PoolQuotaReached and creates nothing; a deleted pool frees its place', async () => {
    b = await startTestBatch({ quotas: { poolQuota: 1 } });
    const first = uniqueId('pool');
    const second = uniqueId('pool');
    await b.client.pool.add({ id: first, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 0 });
    const refused = await rejection(b.client.pool.add({ id: second, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 0 }));
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.code, 'PoolQuotaReached');
    assert.equal(await b.client.pool.exists(second).then((r) => r.body), false);
    assert.equal((await b.admin.getQuotas()).usage.pools, 1);
    await b.client.pool.deleteMethod(first);
    await waitFor('first pool gone', async () => ((await b!.client.pool.exists(first)).body ? undefined : true));
    await b.client.pool.add({ id: second, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 0 });
  });

  it('Job_Add past the active-job quota is 409 ActiveJobAndScheduleQuotaReached; terminating a job frees its place', async () => {
    b = await startTestBatch({ quotas: { activeJobAndJobScheduleQuota: 1 } });
    const first = uniqueId('job');
    const second = uniqueId('job');
    await b.client.job.add({ id: first, poolInfo: { poolId: 'nowhere' } });
    const refused = await rejection(b.client.job.add({ id: second, poolInfo: { poolId: 'nowhere' } }));
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.code, 'ActiveJobAndScheduleQuotaReached');
    const again = await rejection(b.client.job.add({ id: first, poolInfo: { poolId: 'nowhere' } }));
    assert.equal(again.code, 'JobExists', 'a retried add of an existing job still says JobExists');
    await b.client.job.terminate(first);
    await waitFor('first job completed', async () => ((await b!.client.job.get(first)).state === 'completed' ? true : undefined));
    await b.client.job.add({ id: second, poolInfo: { poolId: 'nowhere' } });
    assert.equal((await b.admin.getQuotas()).usage.activeJobsAndJobSchedules, 1);
  });

  it('a pool past its VM family quota allocates what fits and goes steady with AccountVMSeriesCoreQuotaReached; raising the quota lets a resize finish', async () => {
    b = await startTestBatch({ quotas: { dedicatedCoreQuotaPerVMFamily: { standardDSv3Family: 4 } } });
    const poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'Standard_D2s_v3', targetDedicatedNodes: 3 });
    const short = await steadyPool(b, poolId);
    assert.equal(short.currentDedicatedNodes, 2);
    assert.equal(short.targetDedicatedNodes, 3, 'the target stays as asked');
    assert.equal(short.resizeErrors?.length, 1);
    const error = short.resizeErrors![0];
    assert.equal(error.code, 'AccountVMSeriesCoreQuotaReached');
    assert.deepEqual(valuesOf(error), { VmSize: 'Standard_D2s_v3', VmFamily: 'standardDSv3Family', CoreQuota: '4', CoresInUse: '4', CoresRequested: '2' });
    const report = await b.admin.setQuotas({ dedicatedCoreQuotaPerVMFamily: { standardDSv3Family: 6 } });
    assert.equal(report.usage.dedicatedCoresPerVMFamily.standardDSv3Family, 4);
    await b.client.pool.resize(poolId, { targetDedicatedNodes: 3 });
    const full = await steadyPool(b, poolId);
    assert.equal(full.currentDedicatedNodes, 3);
    assert.equal(full.resizeErrors, undefined, 'a resize that reached its target has no resizeErrors');
  });

  it('the total dedicated quota gives AccountCoreQuotaReached and the Spot quota AccountLowPriorityCoreQuotaReached', async () => {
    b = await startTestBatch({ quotas: { dedicatedCoreQuota: 6, lowPriorityCoreQuota: 2 } });
    const poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'Standard_F4s_v2', targetDedicatedNodes: 2, targetLowPriorityNodes: 1 });
    const pool = await steadyPool(b, poolId);
    assert.equal(pool.currentDedicatedNodes, 1);
    assert.equal(pool.currentLowPriorityNodes, 0);
    assert.deepEqual(pool.resizeErrors?.map((e) => e.code), ['AccountCoreQuotaReached', 'AccountLowPriorityCoreQuotaReached']);
    const spotId = uniqueId('spot');
    await b.client.pool.add({ id: spotId, vmSize: 'Standard_D2s_v3', targetLowPriorityNodes: 2 });
    const spot = await steadyPool(b, spotId);
    assert.equal(spot.currentLowPriorityNodes, 1);
    assert.equal(spot.resizeErrors?.[0].code, 'AccountLowPriorityCoreQuotaReached');
    assert.deepEqual((await b.admin.getQuotas()).usage, {
      dedicatedCores: 4,
      dedicatedCoresPerVMFamily: { standardFSv2Family: 4 },
      lowPriorityCores: 2,
      pools: 2,
      activeJobsAndJobSchedules: 0,
    });
  });

  it('an allocationFailure fault leaves pools of that size at 0 nodes with AllocationFailed; other sizes allocate', async () => {
    b = await startTestBatch({ faults: { allocationFailure: { vmSize: 'standard_e2s_v3' } } });
    const failing = uniqueId('pool');
    const fine = uniqueId('pool');
    await b.client.pool.add({ id: failing, vmSize: 'Standard_E2s_v3', targetDedicatedNodes: 2 });
    await b.client.pool.add({ id: fine, vmSize: 'Standard_D2s_v3', targetDedicatedNodes: 1 });
    const failed = await steadyPool(b, failing);
    assert.equal(failed.currentDedicatedNodes, 0);
    assert.equal(failed.resizeErrors?.[0].code, 'AllocationFailed');
    assert.equal((await steadyPool(b, fine)).currentDedicatedNodes, 1);
    await b.admin.setFaults({ allocationFailure: null });
    await b.client.pool.resize(failing, { targetDedicatedNodes: 2 });
    assert.equal((await steadyPool(b, failing)).currentDedicatedNodes, 2);
  });

  it('an allocation that does not complete ends with AllocationTimedout; stopping a resize gives ResizeStopped', async () => {
    b = await startTestBatch({ faults: { allocationTimeout: { priority: 'lowPriority', afterMs: 300 } } });
    const poolId = uniqueId('pool');
    await b.client.pool.add({ id: poolId, vmSize: 'Standard_D2s_v3', targetDedicatedNodes: 1, targetLowPriorityNodes: 2 });
    assert.equal((await b.client.pool.get(poolId)).allocationState, 'resizing');
    const timedOut = await steadyPool(b, poolId);
    assert.equal(timedOut.currentDedicatedNodes, 1, 'the dedicated part was not stalled');
    assert.equal(timedOut.currentLowPriorityNodes, 0);
    assert.deepEqual(timedOut.resizeErrors?.map((e) => e.code), ['AllocationTimedout']);
    await b.admin.setFaults({ allocationTimeout: { afterMs: 60_000 } });
    await b.client.pool.resize(poolId, { targetDedicatedNodes: 3 });
    await b.client.pool.stopResize(poolId);
    const stopped = await steadyPool(b, poolId);
    assert.equal(stopped.currentDedicatedNodes, 1);
    assert.deepEqual(stopped.resizeErrors?.map((e) => e.code), ['ResizeStopped']);
  });
});
