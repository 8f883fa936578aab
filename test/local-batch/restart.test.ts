import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BatchProcess, freePort, readTaskFile, waitFor, waitForNodes, waitForTask } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('local Batch durability: kill -9 of the service process and restart with the same data folder', () => {
  let stackDir: string;
  let service: BatchProcess;
  before(async () => {
    stackDir = mkdtempSync(path.join(tmpdir(), 'spc-batch-restart-'));
    service = new BatchProcess(stackDir, await freePort());
  });
  after(async () => {
    await service.kill9();
    rmSync(stackDir, { recursive: true, force: true });
  });

  it('running tasks are requeued and completed after a restart; completed ones keep their results; nothing is lost', async () => {
    const client = service.client();
    await service.start();
    const poolId = uniqueId('pool');
    const jobId = uniqueId('job');
    await client.pool.add({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 1, taskSlotsPerNode: 2 });
    await waitForNodes(client, poolId, 1);
    await client.job.add({ id: jobId, poolInfo: { poolId } });
    await client.task.add(jobId, { id: 'quick', commandLine: "/bin/sh -c 'echo quick'" });
    const quick = await waitForTask(client, jobId, 'quick', 'completed');
    await client.task.addCollection(jobId, [
      { id: 'long', commandLine: "/bin/sh -c 'echo $$ >> pids.txt; sleep 1; echo done'" },
      { id: 'blocker', commandLine: '/bin/sleep 1' },
      ...Array.from({ length: 5 }, (_, i) => ({ id: `queued-${i}`, commandLine: '/bin/true' })),
    ]);
    await waitForTask(client, jobId, 'long', 'running');
    const firstPid = Number(await waitFor('pid written', () => readTaskFile(client, jobId, 'long', 'wd/pids.txt').then((t) => t.trim() || undefined, () => undefined)));
    const journal = path.join(stackDir, 'batch', 'state', 'journal.jsonl');
    await waitFor('running state journaled', async () => (readFileSync(journal, 'utf8').includes(`"pid":${firstPid}`) ? true : undefined), 5000);

    await service.kill9();
    assert.ok(alive(firstPid), 'the task process (its own process group) outlives the killed service and launchers');

    await service.start();
    await waitFor('orphan killed', async () => (alive(firstPid) ? undefined : true), 5000);
    const long = await waitForTask(client, jobId, 'long', 'completed', 15_000);
    assert.equal(long.executionInfo?.exitCode, 0);
    assert.equal(long.executionInfo?.retryCount, 0, 'a restart is recovery, not a retry');
    const pids = (await readTaskFile(client, jobId, 'long', 'wd/pids.txt')).trim().split('\n');
    assert.equal(pids.length, 2, 'it ran again after the restart');
    const tasks = await waitFor('all completed', async () => {
      const list = await client.task.list(jobId);
      return list.every((t) => t.state === 'completed') ? list : undefined;
    });
    assert.equal(tasks.length, 8);
    const quickAfter = tasks.find((t) => t.id === 'quick')!;
    assert.equal(quickAfter.executionInfo?.endTime?.getTime(), quick.executionInfo?.endTime?.getTime());
    assert.equal(await readTaskFile(client, jobId, 'quick', 'stdout.txt'), 'quick\n');
    const pool = await client.pool.get(poolId);
    assert.equal(pool.allocationState, 'steady');

    // kill -9 of the service process alone: its launchers notice and kill the tasks they started.
    await client.task.add(jobId, { id: 'sleeper', commandLine: "/bin/sh -c 'echo $$ > pid.txt; sleep 30'" });
    const sleeperPid = Number(await waitFor('sleeper pid', () => readTaskFile(client, jobId, 'sleeper', 'wd/pid.txt').then((t) => t.trim() || undefined, () => undefined)));
    const child = service.child!;
    const exit = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exit;
    await waitFor('task killed with the service', async () => (alive(sleeperPid) ? undefined : true), 5000);
  });
});
