import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LOCAL_BATCH_ACCOUNT, loadStackSettings } from '../../src/config';
import { ensureLocalSecrets } from '../../src/stack/secrets';
import { batchClient, readTaskFile, waitFor, waitForNodes, waitForTask } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

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
  let port: number;
  let child: ChildProcess | undefined;
  const env = () => ({ PATH: process.env.PATH, HOME: process.env.HOME, SPC_STACK_DIR: stackDir, SPC_BATCH_PORT: String(port), SPC_BATCH_ALLOCATION_DELAY_MS: '50' });
  const start = () => {
    // Its own process group, so kill -9 of the group takes the service and its process launchers down at once.
    child = spawn(process.execPath, [path.resolve(__dirname, '../../src/local-batch/main.js')], { env: env(), stdio: ['ignore', 'ignore', 'inherit'], detached: true });
    return child;
  };
  before(async () => {
    stackDir = mkdtempSync(path.join(tmpdir(), 'spc-batch-restart-'));
    port = await freePort();
  });
  after(() => {
    if (child && child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    rmSync(stackDir, { recursive: true, force: true });
  });

  it('running tasks are requeued and completed after a restart; completed ones keep their results; nothing is lost', async () => {
    const key = ensureLocalSecrets(loadStackSettings({ SPC_STACK_DIR: stackDir })).batchKey;
    const client = batchClient(`http://127.0.0.1:${port}`, key, LOCAL_BATCH_ACCOUNT);
    // Readiness through the admin endpoint: the SDK would back off for seconds on a refused connection.
    const up = () => fetch(`http://127.0.0.1:${port}/_admin/stats`, { headers: { 'x-spc-admin-key': key } }).then((r) => (r.ok ? true : undefined), () => undefined);
    start();
    await waitFor('service up', up);
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

    const exited = new Promise((resolve) => child!.once('exit', resolve));
    process.kill(-child!.pid!, 'SIGKILL');
    await exited;
    assert.ok(alive(firstPid), 'the task process (its own process group) outlives the killed service and launchers');

    start();
    await waitFor('service up again', up);
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
    const exit = new Promise((resolve) => child!.once('exit', resolve));
    child!.kill('SIGKILL');
    await exit;
    await waitFor('task killed with the service', async () => (alive(sleeperPid) ? undefined : true), 5000);
  });
});
