import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { livenessOf } from '../../src/activities/run-liveness';
import { connectClient } from '../../src/client';
import { deleteReaperSchedule, ensureReaperSchedule, reaperScheduleIdOf } from '../../src/reaper/schedule';
import { jobTags, KEEP_TAG, poolTags, type PoolSize, type RunTags } from '../../src/schemas/batch-tags';
import type { ReapReport } from '../../src/schemas/reaper';
import { assertNoLeftovers } from '../helpers/leftovers';
import { waitFor, waitForNodes } from '../helpers/local-batch';
import { startRunEnv, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

/** A run's Batch side as prepare leaves it: a pool, a job on it, and a task that sleeps (its pid in a file). */
interface FakeRun {
  poolId: string;
  jobId: string;
  pid: number;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('spcReaper: Batch jobs and pools of closed runs are reaped, live and kept ones are not', () => {
  let env: RunEnv;
  let pidDir: string;
  // A task queue no worker polls: workflows started there stay RUNNING, like a run whose workers are all down.
  const idleQueue = uniqueId('idle');
  const created = { pools: new Set<string>(), jobs: new Set<string>(), workflows: new Set<string>(), schedules: new Set<string>() };
  let closedWf: string;
  let aliveWf: string;

  const runTags = (workflowId: string, taskQueue = env.taskQueue): RunTags => ({ runId: workflowId, workflowId, namespace: env.config.SPC_TEMPORAL_NAMESPACE, taskQueue });

  async function startIdleWorkflow(prefix: string): Promise<WorkflowHandle> {
    const handle = await env.client.workflow.start('spcRun', { taskQueue: idleQueue, workflowId: uniqueId(prefix), args: [{}] });
    created.workflows.add(handle.workflowId);
    return handle;
  }

  async function addSleeper(jobId: string): Promise<number> {
    const pidFile = path.join(pidDir, `${jobId}.pid`);
    await env.batch.client.task.add(jobId, { id: 'sleeper', commandLine: `/bin/bash -c 'echo $$ > ${pidFile}; exec sleep 600'` });
    return waitFor(`task of ${jobId} running`, async () => (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() ? Number(readFileSync(pidFile, 'utf8')) : undefined));
  }

  /** A pool the run created plus its job and a running task. */
  async function createdPoolRun(name: string, run: RunTags, keep = false): Promise<FakeRun> {
    const poolId = uniqueId(`${name}-pool`);
    const jobId = uniqueId(`${name}-job`);
    created.pools.add(poolId);
    created.jobs.add(jobId);
    await env.batch.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1, metadata: [...poolTags(run), ...(keep ? [KEEP_TAG] : [])] });
    await env.batch.client.job.add({ id: jobId, poolInfo: { poolId }, metadata: [...jobTags(run, { poolId, created: true }), ...(keep ? [KEEP_TAG] : [])] });
    return { poolId, jobId, pid: await addSleeper(jobId) };
  }

  /** A run on a pool it reused: the pool had `before` nodes, the run scaled it to `during`. */
  async function reusedPoolRun(name: string, run: RunTags, before: PoolSize, during: number): Promise<FakeRun> {
    const poolId = uniqueId(`${name}-pool`);
    const jobId = uniqueId(`${name}-job`);
    created.pools.add(poolId);
    created.jobs.add(jobId);
    await env.batch.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: before.targetDedicated });
    await waitForNodes(env.batch.client, poolId, before.targetDedicated);
    await env.batch.client.pool.resize(poolId, { targetDedicatedNodes: during });
    await waitForNodes(env.batch.client, poolId, during);
    await env.batch.client.job.add({ id: jobId, poolInfo: { poolId }, metadata: jobTags(run, { poolId, created: false, restore: before }) });
    return { poolId, jobId, pid: await addSleeper(jobId) };
  }

  /** Job or pool state, `gone` after a 404. */
  async function stateOf(kind: 'job' | 'pool', id: string): Promise<string> {
    try {
      return String((kind === 'job' ? await env.batch.client.job.get(id) : await env.batch.client.pool.get(id)).state);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return 'gone';
      throw err;
    }
  }

  async function assertUntouched(r: FakeRun, what: string): Promise<void> {
    assert.equal(await stateOf('job', r.jobId), 'active', `${what}: job still active`);
    assert.equal((await env.batch.client.task.get(r.jobId, 'sleeper')).state, 'running', `${what}: task still running`);
    assert.ok(isAlive(r.pid), `${what}: task process alive`);
    const pool = await env.batch.client.pool.get(r.poolId);
    assert.equal(pool.state, 'active', `${what}: pool active`);
    assert.equal(pool.targetDedicatedNodes, 1, `${what}: pool keeps its node`);
  }

  async function assertReaped(r: FakeRun, what: string): Promise<void> {
    await waitFor(`${what}: task process ${r.pid} gone`, async () => (isAlive(r.pid) ? undefined : true));
    assert.match(await stateOf('job', r.jobId), /^(gone|deleting)$/, `${what}: job gone or deleting`);
    assert.match(await stateOf('pool', r.poolId), /^(gone|deleting)$/, `${what}: pool gone or deleting`);
  }

  before(async () => {
    env = await startRunEnv({ allocationDelayMs: 100 });
    await env.startWorker();
    pidDir = mkdtempSync(path.join(tmpdir(), 'spc-reaper-'));
    chmodSync(pidDir, 0o1777); // the sleepers are nonadmin tasks: an unprivileged user when the Batch service is root
    const closed = await startIdleWorkflow('closed');
    await closed.terminate('test: a run terminated mid-flight');
    closedWf = closed.workflowId;
    aliveWf = (await startIdleWorkflow('alive')).workflowId;
  });

  after(async () => {
    for (const id of created.schedules) await env.client.schedule.getHandle(id).delete().catch(() => undefined);
    for (const id of created.workflows) await env.client.workflow.getHandle(id).terminate('test cleanup').catch(() => undefined);
    for (const id of created.jobs) await env.batch.client.job.deleteMethod(id).catch(() => undefined);
    for (const id of created.pools) await env.batch.client.pool.deleteMethod(id).catch(() => undefined);
    await env.close();
    rmSync(pidDir, { recursive: true, force: true });
  });

  it('terminates and deletes an orphan job and its pool, puts a reused pool back to its size, leaves live and kept runs alone', async () => {
    const orphan = await createdPoolRun('orphan', runTags(closedWf));
    const alive = await createdPoolRun('alive', runTags(aliveWf));
    const kept = await createdPoolRun('kept', runTags(closedWf), true);
    const reused = await reusedPoolRun('reused', runTags(closedWf), { targetDedicated: 1, targetLowPriority: 0 }, 2);
    const otherQueue = await createdPoolRun('otherq', runTags(closedWf, uniqueId('other-queue')));

    // The teardown check sees exactly the leftovers of the closed run (not the live, kept or untagged ones).
    const before = await assertNoLeftovers(env.client, env.batch.client).then(() => '', (err: Error) => err.message);
    for (const id of [orphan.poolId, orphan.jobId, reused.jobId, otherQueue.poolId, otherQueue.jobId]) assert.ok(before.includes(id), `leftovers list ${id}:\n${before}`);
    for (const id of [alive.poolId, alive.jobId, kept.poolId, kept.jobId, reused.poolId]) assert.ok(!before.includes(id), `leftovers omit ${id}:\n${before}`);

    const reaper = await env.client.workflow.start('spcReaper', { taskQueue: env.taskQueue, workflowId: uniqueId('reaper'), args: [{}] });
    const report = (await reaper.result()) as ReapReport;
    assert.equal((await reaper.fetchHistory()).events?.length, 11, 'one activity: a tiny history whatever the resource count');
    const actions = Object.fromEntries(report.reaped.map((r) => [`${r.kind} ${r.id}`, r.action]));
    assert.deepEqual(actions, {
      [`job ${orphan.jobId}`]: 'terminated, deleted',
      [`pool ${orphan.poolId}`]: 'deleted',
      [`job ${reused.jobId}`]: 'terminated, deleted',
      [`pool ${reused.poolId}`]: 'resized to 1,0',
    });
    assert.ok(report.reaped.every((r) => r.workflowId === closedWf));
    assert.deepEqual(report.skipped, []);
    assert.equal(report.checked, 5, 'the orphan job and pool, the reused job, the live job and pool (kept and other-queue ones are not ours)');

    await assertReaped(orphan, 'orphan');
    await assertUntouched(alive, 'live run');
    await assertUntouched(kept, 'kept run');
    await assertUntouched(otherQueue, 'run of another task queue');
    await waitFor(`reused run's task process ${reused.pid} gone`, async () => (isAlive(reused.pid) ? undefined : true));
    assert.match(await stateOf('job', reused.jobId), /^(gone|deleting)$/);
    const restored = await waitForNodes(env.batch.client, reused.poolId, 1);
    assert.equal(restored.length, 1);
    const pool = await env.batch.client.pool.get(reused.poolId);
    assert.equal(pool.state, 'active', 'a reused pool is never deleted');
    assert.deepEqual([pool.targetDedicatedNodes, pool.targetLowPriorityNodes], [1, 0]);

    // A second pass finds nothing more to do.
    const again: ReapReport = await env.client.workflow.execute('spcReaper', { taskQueue: env.taskQueue, workflowId: uniqueId('reaper'), args: [{}] });
    assert.deepEqual(again.reaped, []);

    // What is left belongs to another task queue's reaper; once it is gone, the teardown check passes.
    await env.batch.client.job.deleteMethod(otherQueue.jobId);
    await env.batch.client.pool.deleteMethod(otherQueue.poolId);
    await assertNoLeftovers(env.client, env.batch.client);
  });

  it('through its schedule: a pool left by a run cancelled during prepare (no job, workflow gone) is deleted', async () => {
    const never = uniqueId('never-started');
    const poolId = uniqueId('prepare-pool');
    created.pools.add(poolId);
    await env.batch.client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 2, metadata: poolTags(runTags(never)) });
    await waitForNodes(env.batch.client, poolId, 2);

    // An hour's interval: only the trigger starts a pass during the test.
    const scheduleId = reaperScheduleIdOf(env.taskQueue);
    created.schedules.add(scheduleId);
    assert.equal(await ensureReaperSchedule(env.client, { taskQueue: env.taskQueue, intervalMs: 3_600_000 }), 'created');
    const handle = env.client.schedule.getHandle(scheduleId);
    await handle.trigger();
    const started = await waitFor('the schedule started a pass', async () => (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId);
    assert.ok(started.startsWith(scheduleId), started);
    const report = (await env.client.workflow.getHandle(started).result()) as ReapReport;
    assert.deepEqual(report.reaped, [{ kind: 'pool', id: poolId, workflowId: never, action: 'deleted' }]);
    assert.match(await stateOf('pool', poolId), /^(gone|deleting)$/);
    assert.equal(await deleteReaperSchedule(env.client, env.taskQueue), true);
  });

  it('a workflow whose liveness cannot be read is a doubt, never an orphan', async () => {
    const broken = await connectClient(env.config);
    await broken.connection.close();
    const liveness = await livenessOf(broken, closedWf);
    assert.equal(liveness.kind, 'doubt', JSON.stringify(liveness));
    assert.deepEqual(await livenessOf(env.client, closedWf), { kind: 'closed', status: 'TERMINATED' });
    assert.deepEqual(await livenessOf(env.client, aliveWf), { kind: 'alive', status: 'RUNNING' });
    assert.deepEqual(await livenessOf(env.client, uniqueId('never')), { kind: 'closed', status: 'NOT_FOUND' });
  });

  it('ensureReaperSchedule is idempotent: two workers at once create one schedule; a changed interval updates it', async () => {
    const taskQueue = uniqueId('sched');
    const scheduleId = reaperScheduleIdOf(taskQueue);
    created.schedules.add(scheduleId);
    const outcomes = await Promise.all([ensureReaperSchedule(env.client, { taskQueue }), ensureReaperSchedule(env.client, { taskQueue })]);
    assert.deepEqual(outcomes.sort(), ['created', 'unchanged']);
    assert.equal(await ensureReaperSchedule(env.client, { taskQueue }), 'unchanged');
    const described = await env.client.schedule.getHandle(scheduleId).describe();
    assert.equal(described.action.workflowType, 'spcReaper');
    assert.equal(described.action.taskQueue, taskQueue);
    assert.equal(described.policies.overlap, 'SKIP');
    assert.deepEqual(described.spec.intervals?.map((i) => i.every), [5 * 60_000]);

    assert.equal(await ensureReaperSchedule(env.client, { taskQueue, intervalMs: 120_000 }), 'updated');
    assert.deepEqual((await env.client.schedule.getHandle(scheduleId).describe()).spec.intervals?.map((i) => i.every), [120_000]);
    assert.equal(await deleteReaperSchedule(env.client, taskQueue), true);
    assert.equal(await deleteReaperSchedule(env.client, taskQueue), false);
  });
});
