/**
 * Benchmark of longest-first (not a test): the 380 LADs of data/lads/spenser_lad_list.csv with spenser-sim
 * durations spread 10x by LAD code, on a pool of 20 one-slot nodes, run twice through the local stack: once in
 * input order, then with the first run's manifest as history (`durationsFrom`), which starts the longest first.
 *
 *   npm run bench:heterogeneous [-- --duration-ms 1000] [--slots 20] [--spread 10] [--lads 380] [--recipe sleep|sim]
 *
 * The default, `--recipe sleep`, runs each LAD as a sleep of its spenser-sim duration that writes one small file (a
 * custom recipe reading the durations from an input file), so the tasks take their own time and not Azurite's.
 * `--recipe sim` runs spenser-sim itself: with its 69 files a LAD, the embedded Azurite (one core) is the bottleneck
 * and makes every task about as long, so that mode measures the stack rather than the order.
 *
 * Prints per run: the makespan (first task start to last task end) against the lower bound max(longest LAD, total
 * work / slots), both from the run's own task durations; and for the run with history, how far the ETA of the
 * progress query was from the actual end when a quarter and a half of the LADs had finished.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BlobServiceClient } from '@azure/storage-blob';
import { connectClient, getProgress, startSpcRun } from '../src/client';
import { loadConfig, loadStackSettings, requireSharedKeys } from '../src/config';
import { parseLadList } from '../src/outputs/lad-lists';
import { simulatedDurationMsOf } from '../src/recipes/duration-spread';
import { startLocalBatchService } from '../src/local-batch/http/server';
import { ManifestSchema, type Manifest } from '../src/schemas/manifest';
import type { RawRunInput } from '../src/schemas/run-input';
import { stackUp } from '../src/stack/stack';

/** Figures of one run, from its manifest. */
function figuresOf(manifest: Manifest, slots: number): { makespanMs: number; boundMs: number; endMs: number; order: string } {
  const starts = manifest.lads.map((l) => Date.parse(l.startTime!));
  const ends = manifest.lads.map((l) => Date.parse(l.endTime!));
  const durations = manifest.lads.map((l) => l.durationMs ?? 0);
  const work = durations.reduce((a, b) => a + b, 0);
  return {
    makespanMs: Math.max(...ends) - Math.min(...starts),
    boundMs: Math.max(Math.max(...durations), work / slots),
    endMs: Math.max(...ends),
    order: manifest.order ? `${manifest.order.used} (${manifest.order.reason})` : '?',
  };
}

/** A custom recipe sleeping each LAD's spenser-sim duration (from an uploaded table) and writing one small file. */
async function sleepRecipe(blobs: BlobServiceClient, container: string, lads: string[], durationMs: number, spread: number): Promise<Pick<RawRunInput, 'recipe' | 'outputs'>> {
  const table = lads.map((lad) => `${lad}\t${(simulatedDurationMsOf(lad, { durationMs, durationSpread: spread }) / 1000).toFixed(3)}`).join('\n') + '\n';
  const inputs = blobs.getContainerClient(container);
  await inputs.create();
  await inputs.getBlockBlobClient('durations.tsv').upload(table, Buffer.byteLength(table));
  return {
    recipe: {
      name: 'custom',
      command: `sleep "$(awk -v l={lad} '$1 == l { print $2 }' durations.tsv)" && mkdir -p output && echo "lad,{lad}" > output/{lad}.csv`,
      inputFiles: [{ source: { container, blob: 'durations.tsv' }, filePath: 'durations.tsv' }],
    },
    outputs: { expectedFiles: ['{lad}.csv'] },
  };
}

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'duration-ms': { type: 'string', default: '1000' },
      slots: { type: 'string', default: '20' },
      spread: { type: 'string', default: '10' },
      lads: { type: 'string', default: '380' },
      recipe: { type: 'string', default: 'sleep' },
    },
  });
  if (values.recipe !== 'sim' && values.recipe !== 'sleep') throw new Error(`--recipe: must be sim or sleep, not ${values.recipe}`);
  const durationMs = Number(values['duration-ms']);
  const slots = Number(values.slots);
  const spread = Number(values.spread);
  const lads = parseLadList(readFileSync(path.resolve(__dirname, '../../data/lads/spenser_lad_list.csv'), 'utf8')).slice(0, Number(values.lads));
  await stackUp(loadStackSettings(), () => undefined);
  const stack = requireSharedKeys(loadConfig());
  const blobs = BlobServiceClient.fromConnectionString(stack.AZURE_STORAGE_CONNECTION_STRING);

  const accountKey = randomBytes(32).toString('base64');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'spc-bench-het-'));
  const batch = await startLocalBatchService({ port: 0, accountName: 'spcbench', accountKey, dataDir, allocationDelayMs: 1000 });
  const stamp = Date.now().toString(36);
  const taskQueue = `bench-het-${stamp}`;
  const env = { ...process.env, ...stack, SPC_TASK_QUEUE: taskQueue, SPC_REAPER: 'off', AZURE_BATCH_URL: batch.url, AZURE_BATCH_ACCOUNT: 'spcbench', AZURE_BATCH_KEY: accountKey };
  const worker = spawn(process.execPath, [path.resolve(__dirname, '../src/worker.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    worker.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('polling') && resolve());
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  const client = await connectClient(stack);
  const containers: string[] = [];
  try {
    const inputsContainer = `bench-het-in-${stamp}`;
    const recipe = values.recipe === 'sleep' ? await sleepRecipe(blobs, inputsContainer, lads, durationMs, spread) : undefined;
    if (recipe) containers.push(inputsContainer);
    const base: RawRunInput = {
      lads,
      ...(recipe ?? { recipe: { name: 'spenser-sim', options: { durationMs, scale: 0.01, durationSpread: spread } } }),
      pool: { dedicatedNodes: slots, taskSlotsPerNode: 1 },
      pollIntervalMs: 500,
    };
    console.log(`bench: ${lads.length} LADs, ${values.recipe === 'sleep' ? 'sleep' : 'spenser-sim'} ${durationMs} ms x 1..${spread} by LAD, ${slots} slots`);
    const results: { label: string; figures: ReturnType<typeof figuresOf> }[] = [];
    let firstRunId = '';
    for (const label of ['input order', 'with history'] as const) {
      const runId = `bench-het-${label === 'input order' ? 'a' : 'b'}-${stamp}`;
      const input: RawRunInput = label === 'input order' ? { ...base, order: 'input' } : { ...base, durationsFrom: [firstRunId] };
      const handle = await startSpcRun(client, input, { workflowId: runId, taskQueue });
      // ETA samples: the predicted end each time a further LAD finished.
      const samples: { finished: number; endsAt: number }[] = [];
      let done = false;
      const result = handle.result().finally(() => (done = true));
      while (!done) {
        const progress = await getProgress(handle).catch(() => undefined);
        const finished = progress ? progress.counts.succeeded + progress.counts.failed : 0;
        if (progress?.eta && finished > (samples.at(-1)?.finished ?? -1)) samples.push({ finished, endsAt: Date.parse(progress.eta.endsAt) });
        await new Promise((r) => setTimeout(r, 1000));
      }
      const summary = await result;
      containers.push(summary.container!);
      const body = await blobs.getContainerClient(summary.container!).getBlobClient('manifest.json').downloadToBuffer();
      const figures = figuresOf(ManifestSchema.parse(JSON.parse(body.toString('utf8'))), slots);
      results.push({ label, figures });
      console.log(`${label}: ${summary.status}, order ${figures.order}`);
      console.log(`  makespan ${(figures.makespanMs / 1000).toFixed(1)} s, lower bound ${(figures.boundMs / 1000).toFixed(1)} s: ${(figures.makespanMs / figures.boundMs).toFixed(3)} of the bound`);
      if (label === 'with history') {
        const span = figures.makespanMs;
        for (const share of [0.1, 0.25, 0.5, 0.75]) {
          const sample = samples.find((s) => s.finished >= share * lads.length);
          if (sample) console.log(`  ETA at ${share * 100}% of LADs finished: predicted end ${((sample.endsAt - figures.endMs) / 1000).toFixed(1)} s from the actual end (${(((sample.endsAt - figures.endMs) / span) * 100).toFixed(1)}% of the makespan)`);
        }
      }
      firstRunId = runId;
    }
  } finally {
    worker.kill('SIGTERM');
    await client.connection.close();
    await batch.close();
    rmSync(dataDir, { recursive: true, force: true });
    for (const c of containers) await blobs.getContainerClient(c).deleteIfExists().catch(() => undefined);
  }
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
