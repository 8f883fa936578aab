/**
 * Records workflow histories of a released version, for the replay test (test/run/replay.test.ts), which checks
 * that runs in flight when this code is deployed keep replaying. Not a test: run it once per release, against a
 * worker of that release on the local stack.
 *
 *   git worktree add ../spc-0.1 v0.1 && (cd ../spc-0.1 && npm ci && npx tsc -b)
 *   (cd ../spc-0.1 && SPC_STACK_DIR=$PWD/../main/.spc SPC_TASK_QUEUE=record-0.1 SPC_METRICS_ADDRESS= node dist/src/worker.js) &
 *   npm run record:histories -- --task-queue record-0.1 --out test/histories/0.1
 *
 * Scenarios: a run with a retried LAD; pause, rescale and resume; a cancelled run; a LAD cancelled on its own and
 * then the run cancelled; a run that continues as new. Every execution of each (parent runs and children) is
 * written as `<scenario>--<n>.json`: `{ workflowId, workflowType, events, historyBase64 }`, the history as the binary
 * protobuf Temporal's API sends, base64. Not the JSON form: the SDK's historyToJSON/historyFromJSON fail in this
 * install ("type must be a Type": @temporalio/common and @temporalio/proto each carry their own protobufjs 8, because
 * @grpc/proto-loader holds protobufjs 7 at the top of node_modules).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { cancelRun, connectClient, getProgress, pauseRun, resumeRun, startSpcRun, type RunHandle } from '../src/client';
import { loadConfig } from '../src/config';
import type { RunProgress } from '../src/schemas/progress';
import type { RawRunInput } from '../src/schemas/run-input';

interface Scenario {
  name: string;
  input: RawRunInput;
  /** Drives the run (signals, cancels) and resolves when it has ended. */
  drive(handle: RunHandle, client: Client): Promise<void>;
}

const base = (lads: string[], overrides: Partial<RawRunInput> = {}): RawRunInput => ({
  lads,
  recipe: { name: 'spenser-sim', options: { durationMs: 300, scale: 0.01 } },
  pool: { dedicatedNodes: 2 },
  retry: { maxAttempts: 2, backoffMs: 200 },
  timeouts: { heartbeatMs: 5000 },
  pollIntervalMs: 250,
  cleanup: { onSuccess: ['job', 'pool'], onFailure: ['job', 'pool'] },
  ...overrides,
});

const ended = (handle: RunHandle): Promise<void> => handle.result().then(
  () => undefined,
  () => undefined,
);

/** Polls the progress query until `ready` holds (the recorder is a script: polling is its way to wait). */
async function until(handle: RunHandle, ready: (p: RunProgress | undefined) => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (ready(await getProgress(handle).catch(() => undefined))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the run did not reach the awaited state in 2 minutes');
}

const SCENARIOS: Scenario[] = [
  {
    name: 'retried-lad',
    input: base(['E06000001', 'E06000002', 'W06000001'], {
      recipe: { name: 'spenser-sim', options: { durationMs: 300, scale: 0.01, failAttempts: { E06000002: 1 } } },
    }),
    drive: ended,
  },
  {
    name: 'controls',
    input: base(['E06000001', 'E06000002', 'E06000003', 'E06000004'], { maxConcurrentLads: 1 }),
    async drive(handle) {
      await until(handle, (p) => p?.status === 'running');
      await pauseRun(handle, { reason: 'recording' });
      // Raw, as a 0.1 client sent it (today's client adds fields a 0.1 worker's strict schema refuses).
      await handle.signal('scalePool', { dedicatedNodes: 1 });
      await until(handle, (p) => p?.paused === true);
      await resumeRun(handle, { reason: 'recording' });
      await ended(handle);
    },
  },
  {
    name: 'cancelled',
    input: base(['E06000001', 'E06000002'], { recipe: { name: 'spenser-sim', options: { durationMs: 60_000, scale: 0.01 } } }),
    async drive(handle) {
      await until(handle, (p) => (p?.counts.running ?? 0) > 0);
      await handle.cancel();
      await ended(handle);
    },
  },
  {
    name: 'cancel-signal',
    input: base(['E06000001', 'E06000002'], { recipe: { name: 'spenser-sim', options: { durationMs: 60_000, scale: 0.01 } } }),
    async drive(handle) {
      await until(handle, (p) => (p?.counts.running ?? 0) > 0);
      await cancelRun(handle, { reason: 'recording' });
      await ended(handle);
    },
  },
  {
    name: 'lad-cancelled-alone',
    input: base(['E06000001', 'E06000002'], { recipe: { name: 'spenser-sim', options: { durationMs: 20_000, scale: 0.01 } } }),
    async drive(handle, client) {
      await until(handle, (p) => (p?.counts.running ?? 0) === 2);
      await client.workflow.getHandle(`${handle.workflowId}/E06000001`).cancel();
      // 0.1 ignores it (the LAD stays `running`); the run is then cancelled so the recording ends.
      await until(handle, (p) => p?.lads.find((l) => l.lad === 'E06000002')?.status === 'succeeded');
      await handle.cancel();
      await ended(handle);
    },
  },
  {
    name: 'continued-as-new',
    input: base(Array.from({ length: 30 }, (_, i) => `E0600${String(i + 1).padStart(4, '0')}`), {
      recipe: { name: 'custom', command: 'mkdir -p output && echo "lad,{lad}" > output/{lad}.csv' },
      outputs: { expectedFiles: ['{lad}.csv'] },
      maxConcurrentLads: 4,
      continueAsNewAfterEvents: 200,
    }),
    drive: ended,
  },
];

async function record(): Promise<void> {
  const { values } = parseArgs({ options: { 'task-queue': { type: 'string' }, out: { type: 'string' }, only: { type: 'string' } } });
  if (!values['task-queue'] || !values.out) throw new Error('usage: record-histories --task-queue <queue of the old worker> --out <folder>');
  const out = path.resolve(values.out);
  mkdirSync(out, { recursive: true });
  const client = await connectClient(loadConfig());
  const stamp = Date.now().toString(36);
  for (const scenario of SCENARIOS.filter((s) => !values.only || s.name === values.only)) {
    const workflowId = `record-${scenario.name}-${stamp}`;
    const handle = await startSpcRun(client, scenario.input, { workflowId, taskQueue: values['task-queue'] });
    await scenario.drive(handle, client);
    let n = 0;
    for await (const wf of client.workflow.list({ query: `SpcRunId = '${workflowId}' OR WorkflowId = '${workflowId}'` })) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const file = path.join(out, `${scenario.name}--${++n}.json`);
      const events = history.events?.length ?? 0;
      const historyBase64 = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('base64');
      writeFileSync(file, `${JSON.stringify({ workflowId: wf.workflowId, workflowType: wf.type, events, historyBase64 }, null, 1)}\n`);
    }
    console.log(`${scenario.name}: ${n} executions`);
  }
}

record().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
