/**
 * Benchmark of the local Batch service, driven through @azure/batch against a service process of its own (started
 * as the stack starts it, test/helpers' BatchProcess): no-op tasks on a 50-slot pool (tasks/s added, scheduled and
 * completed end to end), add -> running with free slots (median and p99, by the service's clock and as the task
 * sees it), and the service's RSS with 10,000 tasks in a job (now and peak); then acknowledged single adds (Task_Add
 * one at a time and 16 in flight, Job_Add one at a time), where the cost of answering only after the journal write
 * shows. Ends with the goals of issue 15 (>= 200 tasks/s end to end, p99 add -> running < 100 ms, RSS < 300 MB at
 * 10,000 tasks).
 * Run: npm run bench:batch [-- --e2e 1000 --latency 300 --big 10000]   (smaller counts for a quick look)
 */
import type { BatchServiceClient } from '@azure/batch';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BatchProcess, freePort, readTaskFile } from '../test/helpers/local-batch';

const NOOP = '/bin/true';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A memory figure of /proc/<pid>/status in MB: VmRSS (now) or VmHWM (peak). */
function memoryMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) / 1024;
}
const peakRssMb = (pid: number) => memoryMb(pid, 'VmHWM');

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

/** Every task of a job with the given properties, walking odata.nextLink. */
async function listAll(client: BatchServiceClient, jobId: string, select?: string) {
  let page = await client.task.list(jobId, { taskListOptions: { select } });
  const all = [...page];
  while (page.odatanextLink) {
    page = await client.task.listNext(page.odatanextLink);
    all.push(...page);
  }
  return all;
}

const rate = (count: number, ms: number) => (count * 1000) / ms;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      e2e: { type: 'string', default: '1000' },
      latency: { type: 'string', default: '300' },
      big: { type: 'string', default: '10000' },
    },
  });
  const e2eCount = Number(values.e2e);
  const latencyCount = Number(values.latency);
  const bigCount = Number(values.big);
  const stackDir = mkdtempSync(path.join(tmpdir(), 'spc-bench-batch-'));
  const service = new BatchProcess(stackDir, await freePort(), { SPC_BATCH_ALLOCATION_DELAY_MS: '100' });
  try {
    await service.start();
    const pid = service.child!.pid!;
    const client = service.client();
    await client.pool.add({ id: 'bench', vmSize: 'standard_d2s_v3', targetDedicatedNodes: 10, taskSlotsPerNode: 5 });
    for (;;) {
      const nodes = await client.computeNode.list('bench');
      if (nodes.length === 10 && nodes.every((n) => n.state === 'idle')) break;
      await sleep(20);
    }

    // 1. No-op tasks, 50 slots, end to end: from the first add to the last completion seen by the client.
    await client.job.add({ id: 'e2e', poolInfo: { poolId: 'bench' } });
    const t0 = Date.now();
    await addAll(client, 'e2e', e2eCount, 't');
    const added = Date.now();
    await waitCompleted(client, 'e2e', e2eCount);
    const done = Date.now();
    const all = await listAll(client, 'e2e', 'id,creationTime,executionInfo');
    const lastStart = Math.max(...all.map((t) => t.executionInfo!.startTime!.getTime()));
    const failures = all.filter((t) => t.executionInfo?.exitCode !== 0).length;
    const e2eRate = rate(e2eCount, done - t0);
    console.log(`${e2eCount} no-op tasks on a 50-slot pool (10 nodes x 5 slots), service in its own process:`);
    console.log(`  added      ${rate(e2eCount, added - t0).toFixed(0)} tasks/s  (${added - t0} ms, addCollection of 100, 4 in flight)`);
    console.log(`  scheduled  ${rate(e2eCount, lastStart - t0).toFixed(0)} tasks/s  (last start ${lastStart - t0} ms after the first add)`);
    console.log(`  completed  ${e2eRate.toFixed(0)} tasks/s end to end  (${done - t0} ms, ${failures} failed)`);

    // 2. Latency with free slots, tasks added one at a time: by the service's clock (creationTime -> startTime), and
    // as the task sees it (the add request sent -> the process's first instant: it prints its own start time, same host
    // and clock), which adds the acknowledged write, the scheduling pass and the spawn.
    await client.job.add({ id: 'latency', poolInfo: { poolId: 'bench' } });
    const sentAt = new Map<string, number>();
    for (let i = 0; i < latencyCount; i++) {
      sentAt.set(`l${i}`, Date.now());
      await client.task.add('latency', { id: `l${i}`, commandLine: '/bin/date +%s%3N' });
      if (i % 10 === 9) await sleep(5);
    }
    await waitCompleted(client, 'latency', latencyCount);
    const latencyTasks = await listAll(client, 'latency', 'id,creationTime,executionInfo');
    const serviceLatencies = latencyTasks.map((t) => t.executionInfo!.startTime!.getTime() - t.creationTime!.getTime()).sort((a, b) => a - b);
    const observed: number[] = [];
    for (const t of latencyTasks) observed.push(Number((await readTaskFile(client, 'latency', t.id!, 'stdout.txt')).trim()) - sentAt.get(t.id!)!);
    observed.sort((a, b) => a - b);
    const p99 = percentile(observed, 99);
    console.log(`add -> running with free slots (${latencyCount} tasks added one at a time):`);
    console.log(`  service clock (creationTime -> startTime): median ${percentile(serviceLatencies, 50)} ms, p99 ${percentile(serviceLatencies, 99)} ms, max ${serviceLatencies[serviceLatencies.length - 1]} ms`);
    console.log(`  add sent -> process started: median ${percentile(observed, 50)} ms, p99 ${p99} ms, max ${observed[observed.length - 1]} ms`);

    // 3. Many tasks in one job, run to completion; RSS of the service process with all of them held.
    await client.job.add({ id: 'big', poolInfo: { poolId: 'bench' } });
    const b0 = Date.now();
    await addAll(client, 'big', bigCount, 'b');
    const bigAdded = Date.now();
    await waitCompleted(client, 'big', bigCount);
    const bigDone = Date.now();
    const listed = (await listAll(client, 'big')).length;
    const bigRate = rate(bigCount, bigDone - b0);
    const rssNow = memoryMb(pid, 'VmRSS');
    const rssPeak = peakRssMb(pid);
    console.log(`${bigCount} tasks in one job: added in ${bigAdded - b0} ms, all completed after ${bigDone - b0} ms (${bigRate.toFixed(0)} tasks/s end to end), listed ${listed} in pages of 1,000`);
    const launchers = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    const launcherMb = launchers.map(peakRssMb);
    console.log(`  service process RSS ${rssNow.toFixed(0)} MB now (VmRSS, ${listed} tasks held), peak ${rssPeak.toFixed(0)} MB (VmHWM); its ${launchers.length} process launchers peak ${launcherMb.map((m) => m.toFixed(0)).join(' + ')} MB`);

    // 4. Acknowledged single adds: each answer waits for its journal write (group commit), so this is the figure
    // that moves with the fsync policy.
    const oneAtATime = await singleAddRate(client, 'single-1', 500, 1);
    const sixteen = await singleAddRate(client, 'single-16', 2000, 16);
    const j0 = Date.now();
    for (let i = 0; i < 200; i++) await client.job.add({ id: `jobadd-${i}`, poolInfo: { poolId: 'no-such-pool' } });
    const jobRate = rate(200, Date.now() - j0);
    console.log('acknowledged single adds (no pool, nothing runs):');
    console.log(`  Task_Add one at a time ${oneAtATime.toFixed(0)} tasks/s, 16 in flight ${sixteen.toFixed(0)} tasks/s; Job_Add one at a time ${jobRate.toFixed(0)} jobs/s`);

    const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
    const slowest = Math.min(e2eRate, bigRate);
    console.log('goals (issue 15):');
    console.log(`  >= 200 tasks/s end to end: ${verdict(slowest >= 200)} (${e2eRate.toFixed(0)} with ${e2eCount}, ${bigRate.toFixed(0)} with ${bigCount})`);
    console.log(`  p99 add -> running < 100 ms: ${verdict(p99 < 100)} (${p99} ms, add sent -> process started)`);
    console.log(`  RSS < 300 MB at ${bigCount} tasks: ${verdict(rssPeak < 300)} (peak ${rssPeak.toFixed(0)} MB, now ${rssNow.toFixed(0)} MB)`);
  } finally {
    await service.kill9();
    rmSync(stackDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
