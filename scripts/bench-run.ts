/**
 * Benchmark of a durable run (not a test): spcRun over N LADs on a pool of M one-slot nodes, through the real
 * Temporal dev server and Azurite of the local stack and a local Batch service started here. The worker runs as its
 * own process (`node dist/src/worker.js`) so its peak RSS is its own.
 *
 *   npm run bench:run [-- --lads 1000] [--lads-file data/lads/spenser_lad_list.csv] [--nodes 10]
 *                     [--duration-ms 2000] [--poll-ms 1000] [--recipe sim|sleep] [--floor true|false]
 *
 * First it measures the orchestration floor (N bare one-activity workflows, M in flight, on the same server), then
 * the run. Prints: makespan against max(ideal, floor); pool busy fraction over the run and around each
 * continue-as-new; Batch requests per LAD (the local service's admin stats); history events per LAD (parent and
 * child); the largest payload in all the run's histories; worker peak RSS; Temporal server CPU seconds, and those of
 * the worker, the local Batch service with its tasks, and Azurite (where a 2-core machine's time goes).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BatchServiceClient, BatchSharedKeyCredentials } from '@azure/batch';
import { BlobServiceClient } from '@azure/storage-blob';
import { connectClient, startSpcRun } from '../src/client';
import { loadConfig, loadStackSettings, requireSharedKeys } from '../src/config';
import { LocalBatchAdminClient } from '../src/local-batch/admin-client';
import { startLocalBatchService } from '../src/local-batch/http/server';
import { parseLadList } from '../src/outputs/lad-lists';
import { processPaths, recordedProcess } from '../src/stack/processes';
import { stackUp } from '../src/stack/stack';
import { measureOrchestrationFloor } from './bench/floor';
import { largestPayload, type LargestPayload } from './bench/payloads';
import { peakRssKb, startCpuClock } from './bench/proc';
import { busyFraction, span, type Interval } from './bench/timeline';

const ALLOCATION_DELAY_MS = 1000;

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lads: { type: 'string' },
      'lads-file': { type: 'string' },
      nodes: { type: 'string', default: '10' },
      'duration-ms': { type: 'string', default: '2000' },
      'poll-ms': { type: 'string', default: '1000' },
      recipe: { type: 'string', default: 'sim' },
      floor: { type: 'string', default: 'true' },
    },
  });
  const lads = values['lads-file']
    ? parseLadList(readFileSync(values['lads-file'], 'utf8'), values['lads-file']).slice(0, values.lads ? Number(values.lads) : undefined)
    : Array.from({ length: Number(values.lads ?? 100) }, (_, i) => `E${String(6_000_001 + i).padStart(8, '0')}`);
  const ladCount = lads.length;
  const nodes = Number(values.nodes);
  const durationMs = Number(values['duration-ms']);
  const pollMs = Number(values['poll-ms']);
  // `sim`: spenser-sim writing the 69 contract files (the local Batch service uploads each: seconds per task on
  // this machine). `sleep`: a custom recipe that sleeps for the duration and writes one file, to measure the
  // orchestration itself at scale.
  const sleepRecipe = values.recipe === 'sleep';
  const settings = loadStackSettings();
  await stackUp(settings, () => undefined);
  const stack = requireSharedKeys(loadConfig());
  const temporalPid = recordedProcess(processPaths(settings.SPC_STACK_DIR, 'temporal').pidFile)?.pid;
  const azuritePid = recordedProcess(processPaths(settings.SPC_STACK_DIR, 'azurite').pidFile)?.pid;

  const accountKey = randomBytes(32).toString('base64');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'spc-bench-batch-'));
  const batch = await startLocalBatchService({ port: 0, accountName: 'spcbench', accountKey, dataDir, allocationDelayMs: ALLOCATION_DELAY_MS });
  const admin = new LocalBatchAdminClient(batch.url, accountKey);
  const batchClient = new BatchServiceClient(new BatchSharedKeyCredentials('spcbench', accountKey), batch.url);
  const client = await connectClient(stack);
  const stamp = Date.now().toString(36);
  const taskQueue = `bench-${stamp}`;
  const runId = `bench-${ladCount}-${stamp}`;

  let floorMs = 0;
  if (values.floor !== 'false') {
    console.log(`floor: ${ladCount} bare workflows (one no-op activity each), ${nodes} in flight ...`);
    floorMs = await measureOrchestrationFloor(client, stack.SPC_TEMPORAL_ADDRESS, stack.SPC_TEMPORAL_NAMESPACE, ladCount, nodes);
    console.log(`floor: ${(floorMs / 1000).toFixed(1)} s (${(ladCount / (floorMs / 1000)).toFixed(1)} workflows/s)`);
  }

  // The worker as our Dockerfile and `npm run worker` start it: two malloc arenas (README, "Worker memory").
  const env = { MALLOC_ARENA_MAX: '2', ...process.env, ...stack, SPC_TASK_QUEUE: taskQueue, AZURE_BATCH_URL: batch.url, AZURE_BATCH_ACCOUNT: 'spcbench', AZURE_BATCH_KEY: accountKey };
  const worker = spawn(process.execPath, [path.resolve(__dirname, '../src/worker.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  // Start the clock once the worker polls (its start-up bundles the workflow code, a few seconds).
  await new Promise<void>((resolve, reject) => {
    worker.stdout!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (text.includes('polling')) resolve();
      for (const line of text.split('\n')) if (line.startsWith('memory')) console.log(`worker ${line}`);
    });
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  // Ctrl-C or a timeout: stop the worker and the local Batch service (which kills its task processes) first.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      worker.kill('SIGTERM');
      void batch.close().finally(() => process.exit(130));
    });
  }
  try {
    console.log(`bench: ${ladCount} LADs, ${nodes} nodes x 1 slot, ${durationMs} ms ${sleepRecipe ? 'sleep' : 'spenser-sim'} tasks, poll ${pollMs} ms; run ${runId}`);
    // This process runs the local Batch service, whose task processes are its children.
    const cpuClock = startCpuClock({ server: temporalPid, azurite: azuritePid, worker: worker.pid, batch: 'self+children' });
    const started = Date.now();
    const handle = await startSpcRun(
      client,
      {
        lads,
        recipe: sleepRecipe
          ? { name: 'custom', command: `sleep ${durationMs / 1000} && mkdir -p output && echo "lad,{lad}" > output/{lad}.csv` }
          : { name: 'spenser-sim', options: { durationMs, scale: 0.01 } },
        pool: { dedicatedNodes: nodes, taskSlotsPerNode: 1 },
        pollIntervalMs: pollMs,
        cleanup: { onSuccess: ['container'], onFailure: ['container'] },
        outputs: { expectedFiles: sleepRecipe ? ['{lad}.csv'] : 'contract' },
      },
      { workflowId: runId, taskQueue },
    );
    const summary = await handle.result();
    const makespanMs = Date.now() - started;
    const cpu = cpuClock();
    const rssKb = peakRssKb(worker.pid!);
    const stats = await admin.getStats();

    const parents: number[] = [];
    const children: number[] = [];
    const continuedAtMs: number[] = [];
    let largest: LargestPayload & { workflowType: string } = { bytes: 0, eventType: '', workflowType: '' };
    for await (const wf of client.workflow.list({ query: `SpcRunId = '${runId}'` })) {
      const events = (await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory()).events ?? [];
      (wf.type === 'spcRun' ? parents : children).push(events.length);
      if (wf.type === 'spcRun' && wf.status.name === 'CONTINUED_AS_NEW' && wf.closeTime) continuedAtMs.push(wf.closeTime.getTime());
      const inThis = largestPayload(events);
      if (inThis.bytes > largest.bytes) largest = { ...inThis, workflowType: wf.type };
    }
    const tasks = await listAllTasks(batchClient, `spc-${runId}`);
    const timeline: Interval[] = tasks.map((t) => ({ startMs: new Date(t.executionInfo!.startTime!).getTime(), endMs: new Date(t.executionInfo!.endTime!).getTime() }));
    const onPool = span(timeline);
    const ideal = Math.ceil(ladCount / nodes) * durationMs;
    const bound = Math.max(ideal + ALLOCATION_DELAY_MS, floorMs);
    // Around a continue-as-new: the pool should not notice it. A window of two task durations or four polls each side.
    const aroundMs = Math.max(2 * durationMs, 4 * pollMs);
    const aroundContinues = continuedAtMs.sort((a, b) => a - b).map((at) => busyFraction(timeline, nodes, at - aroundMs, at + aroundMs));
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    const pct = (f: number) => `${(f * 100).toFixed(1)}%`;
    const ops = Object.entries(stats.requests).sort((a, b) => b[1].count - a[1].count).map(([op, s]) => `${op} ${s.count}`).join(', ');
    const onNodeMs = timeline.map((t) => t.endMs - t.startMs);
    console.log(`status: ${summary.status} (${summary.counts.succeeded}/${summary.counts.total} succeeded, final check ${summary.finalCheck?.ok ? 'ok' : 'FAILED'})`);
    console.log(`makespan (start -> summary): ${(makespanMs / 1000).toFixed(1)} s; ideal ceil(${ladCount}/${nodes}) x ${durationMs / 1000} s + pool allocation ${ALLOCATION_DELAY_MS / 1000} s = ${(ideal + ALLOCATION_DELAY_MS) / 1000} s; floor ${(floorMs / 1000).toFixed(1)} s => ${(makespanMs / bound).toFixed(2)} x max(ideal, floor)`);
    console.log(`pool busy: ${pct(busyFraction(timeline, nodes, onPool.startMs, onPool.endMs))} of ${nodes} slots from first task start to last task end (${((onPool.endMs - onPool.startMs) / 1000).toFixed(1)} s); task time on node mean ${(sum(onNodeMs) / onNodeMs.length / 1000).toFixed(2)} s, max ${(Math.max(...onNodeMs) / 1000).toFixed(2)} s`);
    console.log(`continue-as-new: ${continuedAtMs.length}; pool busy within ${aroundMs / 1000} s of each: ${aroundContinues.map(pct).join(', ') || '-'}${aroundContinues.length ? ` (min ${pct(Math.min(...aroundContinues))})` : ''}`);
    console.log(`finalize (manifest, collation, final check, cleanup): ${((Date.parse(summary.finishedAt) - onPool.endMs) / 1000).toFixed(1)} s after the last task ended`);
    console.log(`Batch requests: ${stats.total} in all, ${(stats.total / ladCount).toFixed(2)} per LAD (${ops})`);
    console.log(`history events per LAD: parent ${(sum(parents) / ladCount).toFixed(1)} (${parents.length} run(s), ${sum(parents)} events), child mean ${(sum(children) / children.length).toFixed(1)} max ${Math.max(...children)}`);
    console.log(`largest payload: ${(largest.bytes / 1024).toFixed(1)} KiB (${largest.workflowType} ${largest.eventType})`);
    console.log(`worker peak RSS: ${(rssKb / 1024).toFixed(0)} MiB`);
    console.log(`Temporal server CPU: ${cpu.server.toFixed(1)} s during the run (${(cpu.server / (makespanMs / 1000)).toFixed(2)} cores on average)`);
    console.log(`CPU during the run: worker ${cpu.worker.toFixed(1)} s, local Batch service and its tasks ${cpu.batch.toFixed(1)} s, Azurite ${cpu.azurite.toFixed(1)} s; the machine had ${(availableParallelism() * makespanMs / 1000).toFixed(0)} core-s`);
  } finally {
    worker.kill('SIGTERM');
    await client.connection.close();
    await batch.close();
    rmSync(dataDir, { recursive: true, force: true });
    await BlobServiceClient.fromConnectionString(stack.AZURE_STORAGE_CONNECTION_STRING).getContainerClient(`spc-${runId}`).deleteIfExists().catch(() => undefined);
  }
}

async function listAllTasks(batchClient: BatchServiceClient, jobId: string) {
  const first = await batchClient.task.list(jobId, { taskListOptions: { select: 'id,executionInfo' } });
  const all = [...first];
  for (let next = first.odatanextLink; next; ) {
    const page = await batchClient.task.listNext(next);
    all.push(...page);
    next = page.odatanextLink;
  }
  return all;
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
