/**
 * ladRun checks its input without zod (src/schemas/lad-input-check.ts); these pin it to `LadRunInputSchema`:
 * every input the schema accepts comes out byte for byte as the schema returns it (the inputs 0.1 parents sent, from
 * the recorded histories, and those a parent of today sends), and every input it refuses is refused, naming the
 * field. Pure: no server.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { temporal } from '@temporalio/proto';
import { checkLadRunInput } from '../../src/schemas/lad-input-check';
import { LadRunInputSchema } from '../../src/schemas/lad';
import { parseRunInput, type RawRunInput } from '../../src/schemas/run-input';

const HISTORIES = path.resolve(__dirname, '../../../test/histories');

/** Both parsers agree on `raw`: the same output (same JSON text, so the same key order), or both refuse. */
function assertSame(raw: unknown, label: string): void {
  const zod = LadRunInputSchema.safeParse(raw);
  const ours = checkLadRunInput(raw);
  if (zod.success) {
    assert.ok(ours.ok, `${label}: zod accepts, the check refused: ${ours.ok ? '' : ours.message}`);
    assert.equal(JSON.stringify(ours.input), JSON.stringify(zod.data), `${label}: same output`);
  } else {
    assert.ok(!ours.ok, `${label}: zod refuses (${zod.error.issues[0].path.join('.')}), the check accepted`);
    const first = zod.error.issues[0].path.map(String).join('.');
    assert.ok(ours.message.split('\n').some((line) => line.startsWith(first)), `${label}: names ${first || '(input)'} (got ${JSON.stringify(ours.message)})`);
  }
}

/** The ladRun inputs in recorded histories: children's started events and parents' start-child commands. */
function recordedLadInputs(version: string): unknown[] {
  const folder = path.join(HISTORIES, version);
  const inputs: unknown[] = [];
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.json'))) {
    const { historyBase64 } = JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as { historyBase64: string };
    for (const event of temporal.api.history.v1.History.decode(Buffer.from(historyBase64, 'base64')).events) {
      const attrs = event.workflowExecutionStartedEventAttributes ?? event.startChildWorkflowExecutionInitiatedEventAttributes;
      if (attrs?.workflowType?.name !== 'ladRun') continue;
      inputs.push(JSON.parse(Buffer.from(attrs.input!.payloads![0].data!).toString('utf8')));
    }
  }
  return inputs;
}

/** What spcRun passes its children today (startLad in src/workflows/spc-run.ts). */
function childInputOf(raw: RawRunInput, firstAttempt = 1): unknown {
  const parsed = parseRunInput(raw, 'spc-lad-check');
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
  const input = parsed.input;
  return JSON.parse(JSON.stringify({
    runId: input.runId, lad: 'E06000001', jobId: 'spc-lad-check', container: 'spc-lad-check', recipe: input.recipe, retry: input.retry,
    timeouts: input.timeouts, expectedFiles: input.outputs.expectedFiles, pollIntervalMs: input.pollIntervalMs, firstAttempt,
  }));
}

const base = childInputOf({ lads: ['E06000001'] }) as Record<string, unknown>;
const custom = {
  name: 'custom', command: 'run {lad}', inputFiles: [{ source: { container: 'inputs-1', blob: 'a/b.csv' }, filePath: 'data/b.csv' }],
  outputPattern: 'out/*.csv', startCommand: 'setup.sh', startInputFiles: [], secretEnvironment: ['NOMIS_API_KEY'],
};

/** `base` with the value at `at` (dot path) replaced, or removed when `value` is undefined. */
function withValue(at: string, value: unknown, from: Record<string, unknown> = base): Record<string, unknown> {
  const copy = structuredClone(from);
  const keys = at.split('.');
  const parent = keys.slice(0, -1).reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, copy);
  if (value === undefined) delete parent[keys.at(-1)!];
  else parent[keys.at(-1)!] = value;
  return copy;
}

describe('ladRun input check without zod', () => {
  it('agrees with the schema on every ladRun input the 0.1 parents sent (recorded histories)', () => {
    const inputs = recordedLadInputs('0.1');
    assert.ok(inputs.length >= 10, `found ${inputs.length} recorded ladRun inputs`);
    inputs.forEach((raw, i) => assertSame(raw, `0.1 input ${i}`));
    assert.ok(inputs.every((raw) => checkLadRunInput(raw).ok), 'all of them are accepted');
  });

  it('agrees with the schema on what a parent of today sends, for every recipe and setting', () => {
    const runs: RawRunInput[] = [
      { lads: ['E06000001'] },
      { lads: ['E06000001'], recipe: { name: 'spenser' }, retry: { maxAttempts: 1 }, timeouts: { taskMs: 1000, heartbeatMs: 2000 }, pollIntervalMs: 100 },
      { lads: ['E06000001'], recipe: { name: 'spenser-sim', options: { durationMs: 0, scale: 10, failProbability: 1, failAttempts: { E06000001: 2, W06000001: 0 } } } },
      { lads: ['E06000001'], recipe: { name: 'custom', command: 'x {lad}' }, outputs: { expectedFiles: ['{lad}.csv', 'b.csv'] } },
      { lads: ['E06000001'], recipe: custom as RawRunInput['recipe'], retry: { maxAttempts: 100, backoffMs: 0, backoffCoefficient: 10 } },
    ];
    runs.forEach((run, i) => {
      assertSame(childInputOf(run), `run ${i}`);
      assertSame(childInputOf(run, 4), `run ${i}, restarted at attempt 4`);
    });
  });

  it('fills the same defaults and drops the same unknown top-level keys', () => {
    const cases: [string, unknown][] = [
      ['no firstAttempt', withValue('firstAttempt', undefined)],
      ['spenser-sim without options', withValue('recipe', { name: 'spenser-sim' })],
      ['spenser-sim with empty options', withValue('recipe', { name: 'spenser-sim', options: {} })],
      ['empty retry and timeouts', withValue('timeouts', {}, withValue('retry', {}))],
      ['custom, minimal', withValue('recipe', { name: 'custom', command: 'c' })],
      ['custom, full', withValue('recipe', custom)],
      ['custom without startCommand', withValue('recipe', { ...custom, startCommand: undefined })],
      ['unknown top-level key', { extra: 1, ...base, another: { deep: true } }],
      ['keys in another order', Object.fromEntries(Object.entries(base).reverse())],
      ['empty expectedFiles list', withValue('expectedFiles', [])],
    ];
    for (const [label, raw] of cases) assertSame(JSON.parse(JSON.stringify(raw)), label);
  });

  it('refuses what the schema refuses, at every bound and for every kind of bad value, naming the field', () => {
    const numbers: [string, { int: boolean; min?: number; max?: number; above?: number }][] = [
      ['pollIntervalMs', { int: true, min: 100 }],
      ['firstAttempt', { int: true, min: 1 }],
      ['retry.maxAttempts', { int: true, min: 1, max: 100 }],
      ['retry.backoffMs', { int: true, min: 0, max: 86_400_000 }],
      ['retry.backoffCoefficient', { int: false, min: 1, max: 10 }],
      ['timeouts.taskMs', { int: true, min: 1000 }],
      ['timeouts.runMs', { int: true, min: 1000 }],
      ['timeouts.heartbeatMs', { int: true, min: 1000, max: 600_000 }],
      ['timeouts.quotaRetryMs', { int: true, min: 1000, max: 3_600_000 }],
      ['recipe.options.durationMs', { int: true, min: 0, max: 3_600_000 }],
      ['recipe.options.scale', { int: false, above: 0, max: 10 }],
      ['recipe.options.failProbability', { int: false, min: 0, max: 1 }],
      ['recipe.options.failAttempts.E06000001', { int: true, min: 0, max: 1000 }],
    ];
    const sim = withValue('recipe', { name: 'spenser-sim', options: { failAttempts: { E06000001: 1 } } });
    for (const [at, rule] of numbers) {
      const step = rule.int ? 1 : 0.001;
      const values = [rule.min, rule.max, rule.above, rule.min === undefined ? undefined : rule.min - step, rule.max === undefined ? undefined : rule.max + step,
        rule.above === undefined ? undefined : rule.above + step, 1.5, 2 ** 53, -(2 ** 53), '5', null, true, [], {}];
      for (const value of values.filter((v) => v !== undefined)) assertSame(withValue(at, value, sim), `${at} = ${JSON.stringify(value)}`);
    }
    const bad: [string, unknown][] = [
      ['runId', ''], ['runId', '-x'], ['runId', 'a'.repeat(56)], ['runId', 'a'.repeat(57)], ['runId', 'a b'], ['runId', undefined], ['runId', 5],
      ['lad', 'E0600000X'], ['lad', 'X06000001'], ['lad', 'E060000011'], ['lad', undefined], ['lad', 1],
      ['jobId', ''], ['jobId', undefined], ['container', ''], ['container', 7],
      ['recipe', undefined], ['recipe', 'spenser'], ['recipe', []], ['recipe', { name: 'other' }], ['recipe', {}], ['recipe', { name: 'spenser', extra: 1 }],
      ['recipe', { name: 'spenser-sim', options: { speed: 1 } }], ['recipe', { name: 'spenser-sim', options: null }], ['recipe', { name: 'spenser-sim', extra: 1 }],
      ['recipe', { name: 'spenser-sim', options: { failAttempts: { X1: 1 } } }], ['recipe', { name: 'spenser-sim', options: { failAttempts: [] } }],
      ['recipe', { name: 'custom' }], ['recipe', { name: 'custom', command: '' }], ['recipe', { name: 'custom', command: 'x'.repeat(8001) }],
      ['recipe', { name: 'custom', command: 'x'.repeat(8000) }], ['recipe', { ...custom, other: 1 }], ['recipe', { ...custom, outputPattern: '' }],
      ['recipe', { ...custom, startCommand: '' }], ['recipe', { ...custom, startCommand: 'x'.repeat(8001) }],
      ['recipe', { ...custom, secretEnvironment: ['lower'] }], ['recipe', { ...custom, secretEnvironment: Array(21).fill('A') }], ['recipe', { ...custom, secretEnvironment: Array(20).fill('A') }],
      ['recipe', { ...custom, inputFiles: Array(101).fill(custom.inputFiles[0]) }], ['recipe', { ...custom, inputFiles: Array(100).fill(custom.inputFiles[0]) }],
      ['recipe', { ...custom, inputFiles: [{ source: { container: 'Bad', blob: 'b' }, filePath: 'f' }] }],
      ['recipe', { ...custom, inputFiles: [{ source: { container: 'ok-1', blob: '' }, filePath: 'f' }] }],
      ['recipe', { ...custom, inputFiles: [{ source: { container: 'ok-1', blob: 'b'.repeat(1025) }, filePath: 'f' }] }],
      ['recipe', { ...custom, inputFiles: [{ source: { container: 'ok-1', blob: 'b', x: 1 }, filePath: 'f' }] }],
      ['recipe', { ...custom, startInputFiles: [{ source: { container: 'ok-1', blob: 'b' }, filePath: '../f' }] }],
      ['recipe', { ...custom, startInputFiles: [{ source: { container: 'ok-1', blob: 'b' }, filePath: '/f' }] }],
      ['recipe', { ...custom, inputFiles: {} }],
      ['retry', undefined], ['retry', { jitter: 1 }], ['retry', null], ['timeouts', undefined], ['timeouts', { idleMs: 1 }],
      ['expectedFiles', undefined], ['expectedFiles', 'all'], ['expectedFiles', [1]], ['expectedFiles', ['']], ['expectedFiles', {}],
      ['pollIntervalMs', undefined],
    ];
    for (const [at, value] of bad) assertSame(JSON.parse(JSON.stringify(withValue(at, value) ?? null)), `${at} = ${JSON.stringify(value)?.slice(0, 60)}`);
    for (const raw of [null, undefined, 'x', 5, []]) assertSame(raw, `input ${JSON.stringify(raw)}`);
  });

  it('names the field and the reason in its message', () => {
    const checked = checkLadRunInput(withValue('lad', 'E0600000X', withValue('retry.maxAttempts', 0)));
    assert.ok(!checked.ok);
    assert.match(checked.message, /^lad: "E0600000X" must match/m);
    assert.match(checked.message, /^retry\.maxAttempts: must be >= 1$/m);
  });
});
