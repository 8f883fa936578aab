/**
 * Benchmark of the local Batch service (issue 4), driven through @azure/batch against a service process of its own:
 * 1,000 no-op tasks on a 50-slot pool (tasks/s added, scheduled and completed end to end), scheduling latency with
 * free slots (task added -> running, median and p99), and the service's peak RSS with 10,000 tasks in a job; then
 * acknowledged single adds (Task_Add one at a time and 16 in flight, Job_Add one at a time), where the cost of
 * answering only after the journal write shows.
 * Run: npm run bench:batch
 */
import type { BatchServiceClient } from '@azure/batch';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LOCAL_BATCH_ACCOUNT } from '../src/config';
import { batchClient } from '../test/helpers/local-batch';

const NOOP = '/bin/true';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function addAll(client: BatchServiceClient, jobId: string, count: number, prefix: string): Promise<void> {
  const chunks: { id: string; commandLine: string }[][] = [];
  for (let i = 0; i < count; i += 100) chunks.push(Array.from({ length: Math.min(100, count - i) }, (_, j) => ({ id: `${prefix}${i + j}`, commandLine: NOOP })));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) await client.task.addCollection(jobId, chunks[next++]);
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

/** Acknowledged Task_Add calls per second, `inFlight` at a time, into a job whose pool does not exist (nothing runs). */
async function singleAddRate(client: BatchServiceClient, jobId: string, count: number, inFlight: number): Promise<number> {
  await client.job.add({ id: jobId, poolInfo: { poolId: 'no-such-pool' } });
  let next = 0;
  const t0 = Date.now();
  const worker = async () => {
    while (next < count) await client.task.add(jobId, { id: `s${next++}`, commandLine: NOOP });
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (count * 1000) / (Date.now() - t0);
}

async function waitCompleted(client: BatchServiceClient, jobId: string, count: number): Promise<void> {
  for (;;) {
    const counts = await client.job.getTaskCounts(jobId);
    if (counts.taskCounts.completed >= count) return;
    await sleep(10);
  }
}

async function main(): Promise<void> {
  const stackDir = mkdtempSync(path.join(tmpdir(), 'spc-bench-batch-'));
  const key = randomBytes(64).toString('base64');
  writeFileSync(path.join(stackDir, 'secrets.json'), JSON.stringify({ storageKey: key, batchKey: key }), { mode: 0o600 });
  const port = await freePort();
  const service = spawn(process.execPath, [path.resolve(__dirname, '../src/local-batch/main.js')], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, SPC_STACK_DIR: stackDir, SPC_BATCH_PORT: String(port), SPC_BATCH_ALLOCATION_DELAY_MS: '100' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    for (;;) {
      const up = await fetch(`${url}/_admin/stats`, { headers: { 'x-spc-admin-key': key } }).then((r) => r.ok, () => false);
      if (up) break;
      await sleep(50);
    }
    const client = batchClient(url, key, LOCAL_BATCH_ACCOUNT);
    await client.pool.add({ id: 'bench', vmSize: 'standard_d2s_v3', targetDedicatedNodes: 10, taskSlotsPerNode: 5 });
    for (;;) {
      const nodes = await client.computeNode.list('bench');
      if (nodes.length === 10 && nodes.every((n) => n.state === 'idle')) break;
      await sleep(20);
    }

    // 1. 1,000 no-op tasks, 50 slots, end to end.
    await client.job.add({ id: 'e2e', poolInfo: { poolId: 'bench' } });
    const t0 = Date.now();
    await addAll(client, 'e2e', 1000, 't');
    const added = Date.now();
    await waitCompleted(client, 'e2e', 1000);
    const done = Date.now();
    const tasks = await client.task.list('e2e', { taskListOptions: { select: 'id,creationTime,executionInfo' } });
    const all = [...tasks];
    for (let link = tasks.odatanextLink; link; ) {
      const page = await client.task.listNext(link);
      all.push(...page);
      link = page.odatanextLink;
    }
    const lastStart = Math.max(...all.map((t) => t.executionInfo!.startTime!.getTime()));
    const failures = all.filter((t) => t.executionInfo?.exitCode !== 0).length;
    console.log('1,000 no-op tasks on a 50-slot pool (10 nodes x 5 slots), service in its own process:');
    console.log(`  added      ${((1000 * 1000) / (added - t0)).toFixed(0)} tasks/s  (${added - t0} ms, addCollection x10, 4 in flight)`);
    console.log(`  scheduled  ${((1000 * 1000) / (lastStart - t0)).toFixed(0)} tasks/s  (last start ${lastStart - t0} ms after the first add)`);
    console.log(`  completed  ${((1000 * 1000) / (done - t0)).toFixed(0)} tasks/s end to end  (${done - t0} ms, ${failures} failed)`);

    // 2. Scheduling latency with free slots: tasks added one by one, each measured added -> running by the service's clock.
    await client.job.add({ id: 'latency', poolInfo: { poolId: 'bench' } });
    const latencies: number[] = [];
    for (let i = 0; i < 300; i++) {
      await client.task.add('latency', { id: `l${i}`, commandLine: NOOP });
      if (i % 10 === 9) await sleep(5);
    }
    await waitCompleted(client, 'latency', 300);
    let page = await client.task.list('latency', { taskListOptions: { select: 'id,creationTime,executionInfo' } });
    for (;;) {
      for (const t of page) latencies.push(t.executionInfo!.startTime!.getTime() - t.creationTime!.getTime());
      if (!page.odatanextLink) break;
      page = await client.task.listNext(page.odatanextLink);
    }
    latencies.sort((a, b) => a - b);
    console.log(`scheduling latency with free slots (300 tasks added one at a time, added -> running):`);
    console.log(`  median ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies[latencies.length - 1]} ms`);

    // 3. 10,000 tasks in one job, run to completion; peak RSS of the service process.
    await client.job.add({ id: 'big', poolInfo: { poolId: 'bench' } });
    const b0 = Date.now();
    await addAll(client, 'big', 10_000, 'b');
    const bigAdded = Date.now();
    await waitCompleted(client, 'big', 10_000);
    const bigDone = Date.now();
    let listed = 0;
    let bigPage = await client.task.list('big');
    for (;;) {
      listed += bigPage.length;
      if (!bigPage.odatanextLink) break;
      bigPage = await client.task.listNext(bigPage.odatanextLink);
    }
    console.log(`10,000 tasks in one job: added in ${bigAdded - b0} ms, all completed after ${bigDone - b0} ms (${((10_000 * 1000) / (bigDone - b0)).toFixed(0)} tasks/s), listed ${listed} in pages of 1,000`);
    const launchers = readFileSync(`/proc/${service.pid}/task/${service.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    const launcherMb = launchers.map(peakRssMb);
    console.log(`  peak RSS of the service process ${peakRssMb(service.pid!).toFixed(0)} MB (VmHWM); its ${launchers.length} process launchers ${launcherMb.map((m) => m.toFixed(0)).join(' + ')} MB`);

    // 4. Acknowledged single adds: each answer waits for its journal write (group commit), so this is the figure
    // that moves with the fsync policy.
    const oneAtATime = await singleAddRate(client, 'single-1', 500, 1);
    const sixteen = await singleAddRate(client, 'single-16', 2000, 16);
    const j0 = Date.now();
    for (let i = 0; i < 200; i++) await client.job.add({ id: `jobadd-${i}`, poolInfo: { poolId: 'no-such-pool' } });
    const jobRate = (200 * 1000) / (Date.now() - j0);
    console.log('acknowledged single adds (no pool, nothing runs):');
    console.log(`  Task_Add one at a time ${oneAtATime.toFixed(0)} tasks/s, 16 in flight ${sixteen.toFixed(0)} tasks/s; Job_Add one at a time ${jobRate.toFixed(0)} jobs/s`);
  } finally {
    service.kill('SIGKILL');
    rmSync(stackDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
