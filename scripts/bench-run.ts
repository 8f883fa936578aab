/**
 * Benchmark of a durable run (not a test): spcRun over N LADs on a pool of M one-slot nodes with 2-second
 * spenser-sim tasks, through the real Temporal dev server and Azurite of the local stack and a local Batch service
 * started here. The worker runs as its own process (`node dist/src/worker.js`) so its peak RSS is its own.
 *
 *   npm run bench:run [-- --lads 1000] [--nodes 10] [--duration-ms 2000] [--poll-ms 1000] [--recipe sim|sleep]
 *
 * Prints: makespan against the ideal (ceil(N/M) x duration), Batch requests in all and per LAD (from the local
 * service's admin stats), history events per LAD (parent and child), worker peak RSS.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BatchServiceClient, BatchSharedKeyCredentials } from '@azure/batch';
import { BlobServiceClient } from '@azure/storage-blob';
import { connectClient, startSpcRun } from '../src/client';
import { loadConfig, loadStackSettings, requireSharedKeys } from '../src/config';
import { LocalBatchAdminClient } from '../src/local-batch/admin-client';
import { startLocalBatchService } from '../src/local-batch/http/server';
import { stackUp } from '../src/stack/stack';

const ALLOCATION_DELAY_MS = 1000;

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: { lads: { type: 'string', default: '100' }, nodes: { type: 'string', default: '10' }, 'duration-ms': { type: 'string', default: '2000' }, 'poll-ms': { type: 'string', default: '1000' }, recipe: { type: 'string', default: 'sim' } },
  });
  const ladCount = Number(values.lads);
  const nodes = Number(values.nodes);
  const durationMs = Number(values['duration-ms']);
  const pollMs = Number(values['poll-ms']);
  // `sim`: spenser-sim writing the 69 contract files (the local Batch service uploads each: seconds per task on
  // this machine). `sleep`: a custom recipe that sleeps for the duration and writes one file, to measure the
  // orchestration itself at scale.
  const sleepRecipe = values.recipe === 'sleep';
  await stackUp(loadStackSettings(), () => undefined);
  const stack = requireSharedKeys(loadConfig());

  const accountKey = randomBytes(32).toString('base64');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'spc-bench-batch-'));
  const batch = await startLocalBatchService({ port: 0, accountName: 'spcbench', accountKey, dataDir, allocationDelayMs: ALLOCATION_DELAY_MS });
  const admin = new LocalBatchAdminClient(batch.url, accountKey);
  const batchClient = new BatchServiceClient(new BatchSharedKeyCredentials('spcbench', accountKey), batch.url);
  const stamp = Date.now().toString(36);
  const taskQueue = `bench-${stamp}`;
  const runId = `bench-${ladCount}-${stamp}`;
  const env = { ...process.env, ...stack, SPC_TASK_QUEUE: taskQueue, AZURE_BATCH_URL: batch.url, AZURE_BATCH_ACCOUNT: 'spcbench', AZURE_BATCH_KEY: accountKey };
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
  const client = await connectClient(stack);
  // Ctrl-C or a timeout: stop the worker and the local Batch service (which kills its task processes) first.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      worker.kill('SIGTERM');
      void batch.close().finally(() => process.exit(130));
    });
  }
  try {
    const lads = Array.from({ length: ladCount }, (_, i) => `E${String(6_000_001 + i).padStart(8, '0')}`);
    console.log(`bench: ${ladCount} LADs, ${nodes} nodes x 1 slot, ${durationMs} ms ${sleepRecipe ? 'sleep' : 'spenser-sim'} tasks, poll ${pollMs} ms; run ${runId}`);
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
    const rssKb = peakRssKb(worker.pid!);
    const stats = await admin.getStats();

    const parents: number[] = [];
    const children: number[] = [];
    for await (const wf of client.workflow.list({ query: `SpcRunId = '${runId}'` })) {
      const events = (await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory()).events?.length ?? 0;
      (wf.type === 'spcRun' ? parents : children).push(events);
    }
    const tasks = await batchClient.task.list(`spc-${runId}`, { taskListOptions: { select: 'id,executionInfo' } });
    const all = [...tasks];
    for (let next = tasks.odatanextLink; next; ) {
      const page = await batchClient.task.listNext(next);
      all.push(...page);
      next = page.odatanextLink;
    }
    const startsMs = all.map((t) => new Date(t.executionInfo!.startTime!).getTime());
    const endsMs = all.map((t) => new Date(t.executionInfo!.endTime!).getTime());
    const onNodeMs = startsMs.map((start, i) => endsMs[i] - start);
    const ideal = Math.ceil(ladCount / nodes) * durationMs;
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    const ops = Object.entries(stats.requests).sort((a, b) => b[1].count - a[1].count).map(([op, s]) => `${op} ${s.count}`).join(', ');
    console.log(`status: ${summary.status} (${summary.counts.succeeded}/${summary.counts.total} succeeded, final check ${summary.finalCheck?.ok ? 'ok' : 'FAILED'})`);
    console.log(`makespan (start -> summary): ${(makespanMs / 1000).toFixed(1)} s; ideal ceil(${ladCount}/${nodes}) x ${durationMs / 1000} s = ${ideal / 1000} s, + pool allocation ${ALLOCATION_DELAY_MS / 1000} s => ${((makespanMs / (ideal + ALLOCATION_DELAY_MS) - 1) * 100).toFixed(0)}% over`);
    console.log(`Batch makespan (first task start -> last task end): ${((Math.max(...endsMs) - Math.min(...startsMs)) / 1000).toFixed(1)} s; task time on node mean ${(sum(onNodeMs) / onNodeMs.length / 1000).toFixed(2)} s, max ${(Math.max(...onNodeMs) / 1000).toFixed(2)} s (the local Batch service and Azurite share the 2 cores)`);
    console.log(`finalize (manifest, collation, final check, cleanup): ${((Date.parse(summary.finishedAt) - Math.max(...endsMs)) / 1000).toFixed(1)} s after the last task ended`);
    console.log(`Batch requests: ${stats.total} in all, ${(stats.total / ladCount).toFixed(2)} per LAD (${ops})`);
    console.log(`history events per LAD: parent ${(sum(parents) / ladCount).toFixed(1)} (${parents.length} run(s), ${sum(parents)} events), child mean ${(sum(children) / children.length).toFixed(1)} max ${Math.max(...children)}`);
    console.log(`worker peak RSS: ${(rssKb / 1024).toFixed(0)} MiB`);
  } finally {
    worker.kill('SIGTERM');
    await client.connection.close();
    await batch.close();
    rmSync(dataDir, { recursive: true, force: true });
    await BlobServiceClient.fromConnectionString(stack.AZURE_STORAGE_CONNECTION_STRING).getContainerClient(`spc-${runId}`).deleteIfExists().catch(() => undefined);
  }
}

/** VmHWM (peak resident set) of a process, in KiB, from /proc. */
function peakRssKb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
