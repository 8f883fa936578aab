/**
 * The parent's payloads stay bounded whatever the LAD count (issue 13): continue-as-new state, the progress query,
 * the summary and finalize's input, measured as JSON at 10,000 LADs against Temporal's 256 KB warning size.
 * Pure functions: no server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finalizeSequence, type FinalizeSteps } from '../../src/outputs/finalize-sequence';
import { packLads, unpackLads } from '../../src/schemas/packed-lads';
import { parseRunInput, type NormalisedRunInput } from '../../src/schemas/run-input';
import { PackedRunStateSchema } from '../../src/schemas/run-state';
import type { LadResult } from '../../src/schemas/lad';
import * as rs from '../../src/workflows/run-state';
import { ladCodes } from '../helpers/lads';

const T0 = Date.parse('2026-12-03T02:00:00Z');
const KB = 1024;
const WARN_BYTES = 256 * KB;
const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));
// Ten thousand distinct codes need seven digits after the prefix.
const manyLads = (n: number): string[] => ladCodes(n, 'E0');

const inputOf = (lads: string[]): NormalisedRunInput => {
  const parsed = parseRunInput({ lads }, 'big-run');
  assert.ok(parsed.ok, !parsed.ok ? parsed.message : '');
  return parsed.input;
};

/** A result like a real one: attempts with task ids, nodes, times; failures carry a 2,000-character stderr tail. */
function resultOf(lad: string, i: number): LadResult {
  const failed = i % 20 === 0;
  const attempts = Array.from({ length: failed ? 3 : 1 + (i % 7 === 0 ? 1 : 0) }, (_, a) => ({
    attempt: a + 1,
    taskId: `${lad}-a${a + 1}`,
    nodeId: `tvmps_${String(i % 50).padStart(40, '0')}_d`,
    startTime: new Date(T0 + i * 1000).toISOString(),
    endTime: new Date(T0 + i * 1000 + 3 * 3_600_000).toISOString(),
    durationMs: 3 * 3_600_000,
    exitCode: failed ? 1 : 0,
    outcome: failed ? ('failure' as const) : ('success' as const),
    ...(failed && { stderrTail: 'Traceback (most recent call last):\n'.padEnd(2000, 'x') }),
  }));
  return { lad, status: failed ? 'failed' : 'succeeded', attempts, durationMs: 3 * 3_600_000 + i, ...(failed && { error: `task failed after 3 attempt(s)` }), ...(!failed && { fileCount: 69 }), recorded: true };
}

function finishedRun(n: number) {
  const lads = manyLads(n);
  const input = inputOf(lads);
  const state = rs.newRunState(input, lads, T0);
  state.status = 'running';
  lads.forEach((lad, i) => {
    rs.markStarted(state, lad);
    rs.markFinished(state, resultOf(lad, i));
  });
  return { input, state, lads };
}

describe('payloads at 10,000 LADs', () => {
  const { input, state, lads } = finishedRun(10_000);

  it('the continue-as-new arguments (input and packed state) stay under 256 KB', () => {
    const packed = rs.packRunState(state, input.lads);
    const size = bytes(input) + bytes(packed);
    assert.ok(size < WARN_BYTES, `input ${bytes(input)} + state ${bytes(packed)} bytes`);
    // As plain records the same state passes the limit: packing is what keeps it under.
    assert.ok(bytes(state) > 2 * WARN_BYTES, `unpacked state ${bytes(state)} bytes`);
  });

  it('the progress query reply stays under 256 KB, with counts of all LADs', () => {
    const progress = rs.progressOf(state);
    assert.ok(bytes(progress) < WARN_BYTES, `${bytes(progress)} bytes`);
    assert.equal(progress.counts.total, 10_000);
    assert.equal(progress.counts.failed, 500);
    assert.equal(progress.counts.succeeded, 9_500);
  });

  it('the summary stays under 256 KB and says how many failures it left out', () => {
    state.status = rs.finalStatus(state);
    const summary = rs.summaryOf(state, T0 + 86_400_000, { cleanedUp: [] });
    assert.ok(bytes(summary) < WARN_BYTES, `${bytes(summary)} bytes`);
    assert.equal(summary.failures.length + (summary.failuresOmitted ?? 0), 500);
    assert.ok(summary.failures.length > 0);
    assert.equal(summary.failures.filter((f) => f.lastAttempt?.stderrTail).length, rs.MAX_KEPT_LAST_ATTEMPTS);
    assert.equal(summary.failures[0].error, 'task failed after 3 attempt(s)');
  });

  it("finalize's LAD view (packed) with the input stays under 256 KB and unpacks to every LAD", () => {
    const packed = packLads(state.ladOrder, state.lads, input.lads);
    assert.ok(bytes(packed) + bytes(input) < WARN_BYTES, `${bytes(packed)} + ${bytes(input)} bytes`);
    const back = unpackLads(packed, input.lads);
    assert.deepEqual(back.ladOrder, lads);
    assert.equal(back.lads[lads[20]].status, 'failed');
    assert.equal(back.lads[lads[21]].status, 'succeeded');
  });

  it("finalize's steps are each given under 256 KB, and pass only names and counts between them", async () => {
    const given: [string, number][] = [];
    const step = <R>(name: string, result: R) => async (req: unknown) => (given.push([name, bytes(req)]), result);
    const steps: FinalizeSteps = {
      verifyRunOutputs: step('verifyRunOutputs', { pages: 20, lads: 10_000, succeeded: 9_500, incomplete: 0 }),
      collateRunOutputs: step('collateRunOutputs', { collated: 95_000 }),
      checkRunOutputs: step('checkRunOutputs', { ok: true, problems: 0, checkedLads: 10_000 }),
      mergeRunTo2020: step('mergeRunTo2020', { ok: true, problems: 0, checkedLads: 10_000 }),
      traceRunLineage: step('traceRunLineage', { lineage: { inputHash: 'sha256:x', recipeVersion: 'spenser-sim@x' } }),
      writeRunManifest: step('writeRunManifest', { manifest: 'manifest.json', finalCheck: { ok: true, problems: 0 } }),
      cleanUpRun: step('cleanUpRun', ['job deleted']),
    };
    const request = { runId: 'big-run', container: 'spc-big-run', jobId: 'spc-big-run', poolId: 'spc-big-run', packedLads: packLads(state.ladOrder, state.lads, input.lads), expectedFiles: 'contract' as const, cleanup: [], input };
    const result = await finalizeSequence(request, steps);
    assert.equal(result.collated, 95_000);
    assert.deepEqual(given.map(([name]) => name), ['verifyRunOutputs', 'collateRunOutputs', 'checkRunOutputs', 'traceRunLineage', 'writeRunManifest', 'cleanUpRun']);
    for (const [name, size] of given) assert.ok(size < WARN_BYTES, `${name}: ${size} bytes`);
    // Only the first step (the LAD statuses) and the lineage (the input, to hash) grow with the LADs.
    for (const [name, size] of given.filter(([n]) => n !== 'verifyRunOutputs' && n !== 'traceRunLineage')) assert.ok(size < KB, `${name}: ${size} bytes`);
  });
});

describe('payloads at 10,000 LADs that all fail', () => {
  it('keeps a bounded number of errors and stderr tails: continue-as-new arguments and summary under 256 KB', () => {
    const lads = manyLads(10_000);
    const input = inputOf(lads);
    const state = rs.newRunState(input, lads, T0);
    for (const lad of lads) {
      rs.markStarted(state, lad);
      rs.markFinished(state, { ...resultOf(lad, 0), lad, error: `ladRun failed: ${'x'.repeat(1000)}`, recorded: false, attempts: [] });
    }
    const packed = rs.packRunState(state, input.lads);
    assert.ok(bytes(input) + bytes(packed) < WARN_BYTES, `input ${bytes(input)} + state ${bytes(packed)} bytes`);
    assert.ok(bytes(rs.summaryOf(state, T0, { cleanedUp: [] })) < WARN_BYTES);
  });
});

describe('packed LADs', () => {
  const lads = manyLads(6);
  const records = {
    [lads[0]]: { status: 'queued' as const, attempts: 0 },
    [lads[1]]: { status: 'running' as const, attempts: 1 },
    [lads[2]]: { status: 'retrying' as const, attempts: 2 },
    [lads[3]]: { status: 'succeeded' as const, attempts: 1, durationMs: 10_799_600 },
    [lads[4]]: { status: 'failed' as const, attempts: 40, durationMs: 1234, error: 'task failed after 40 attempt(s)', lastAttempt: { attempt: 40, taskId: 'x-a40', outcome: 'failure' as const, stderrTail: 'boom' } },
    [lads[5]]: { status: 'cancelled' as const, attempts: 0, note: 'its workflow was cancelled' },
  };

  it('round-trips statuses, attempts, durations (to the second) and the sparse fields', () => {
    const back = unpackLads(packLads(lads, records, lads), lads);
    assert.deepEqual(back.ladOrder, lads);
    assert.deepEqual(back.lads[lads[3]], { status: 'succeeded', attempts: 1, durationMs: 10_800_000 });
    assert.equal(back.lads[lads[4]].attempts, 35, 'attempts beyond 35 are kept as 35');
    assert.equal(back.lads[lads[4]].lastAttempt?.stderrTail, 'boom');
    assert.equal(back.lads[lads[4]].error, 'task failed after 40 attempt(s)');
    assert.equal(back.lads[lads[5]].note, 'its workflow was cancelled');
    assert.deepEqual(back.lads[lads[0]], { status: 'queued', attempts: 0 });
  });

  it('leaves the LAD order out when the input carries the same list, and keeps it otherwise', () => {
    assert.equal(packLads(lads, records, lads).ladOrder, undefined);
    assert.deepEqual(packLads(lads, records, undefined).ladOrder, lads);
    assert.deepEqual(unpackLads(packLads(lads, records, undefined), undefined).ladOrder, lads);
  });

  it('refuses packed strings that do not match the LADs, rather than misreading them', () => {
    assert.throws(() => unpackLads(packLads(lads, records, lads), lads.slice(1)), /do not match the 5 LADs/);
  });

  it('a packed run state parses with its schema and unpacks to the state', () => {
    const input = inputOf(lads);
    const state = rs.newRunState(input, lads, T0);
    Object.assign(state.lads, records);
    const carried = PackedRunStateSchema.parse(JSON.parse(JSON.stringify(rs.packRunState(state, input.lads))));
    const back = rs.unpackRunState(carried, input.lads);
    assert.equal(back.lads[lads[2]].status, 'retrying');
    assert.deepEqual({ ...back, lads: {} }, { ...state, lads: {} });
  });
});

describe('the progress query pages', () => {
  const lads = manyLads(30);
  const input = inputOf(lads);
  const state = rs.newRunState(input, lads, T0);
  lads.slice(0, 10).forEach((lad, i) => {
    rs.markStarted(state, lad);
    rs.markFinished(state, resultOf(lad, i + 1));
  });

  it('lists one page of LADs by state, with how many match', () => {
    const queued = rs.progressOf(state, { status: 'queued', offset: 5, limit: 10 });
    assert.deepEqual(queued.lads.map((l) => l.lad), lads.slice(15, 25));
    assert.deepEqual(queued.page, { status: 'queued', offset: 5, limit: 10, matching: 20 });
    assert.equal(queued.counts.queued, 20);
    const all = rs.progressOf(state);
    assert.equal(all.lads.length, 30);
    assert.equal(all.lads[0].durationMs, 3 * 3_600_000 + 1);
  });

  it('refuses a page larger than the limit, naming the field', () => {
    assert.throws(() => rs.progressOf(state, { limit: 5000 }), /invalid progress request: .*limit/);
    assert.throws(() => rs.progressOf(state, { page: 2 } as never), /invalid progress request/);
  });
});
