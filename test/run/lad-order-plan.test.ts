/**
 * Longest first and its ETA as pure logic (no server): the plan from earlier manifests, the start order, the ETA,
 * and spenser-sim's duration spread.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planOf } from '../../src/activities/lad-order';
import { expectedSecondsAt, packExpectedSeconds } from '../../src/outputs/expected-durations';
import { durationFactorOf, simulatedDurationMsOf } from '../../src/recipes/duration-spread';
import { priorityKeyOf } from '../../src/schemas/priority';
import { parseRunInput, type Recipe } from '../../src/schemas/run-input';
import type { RunState } from '../../src/schemas/run-state';
import { claimSlots, etaOf } from '../../src/workflows/eta';
import { longestFirst, startOrderOf } from '../../src/workflows/lad-order';
import { ladsToStart, markFinished, markStarted } from '../../src/workflows/run-state';
import { ladCodes } from '../helpers/lads';

const sim: Recipe = { name: 'spenser-sim', options: { durationMs: 1000, scale: 0.01, failProbability: 0, failAttempts: {} } };
const lads = ladCodes(5);
const manifest = (runId: string, seconds: Record<string, number>, status = 'succeeded') => ({
  runId,
  lads: Object.entries(seconds).map(([lad, s]) => ({ lad, status, durationMs: s * 1000 })),
});

function stateOf(ladOrder: string[], plan?: RunState['plan'], nodes = 2): RunState {
  return {
    runId: 'r',
    status: 'running',
    paused: false,
    startedAt: new Date(0).toISOString(),
    deadline: 1e15,
    ladOrder,
    lads: Object.fromEntries(ladOrder.map((lad) => [lad, { status: 'queued' as const, attempts: 0 }])),
    audit: [],
    continuedAsNew: 0,
    pool: { id: 'p', targetDedicated: nodes, targetLowPriority: 0 },
    ...(plan && { plan }),
  };
}

describe('LAD order plan', () => {
  it('puts a LAD much longer in the history first, and gives LADs no earlier run finished the median', () => {
    const plan = planOf({ lads, recipe: sim }, [manifest('last-night', { [lads[0]]: 60, [lads[1]]: 60, [lads[2]]: 60, [lads[4]]: 3600 })]);
    assert.equal(plan.used, 'longest-first');
    assert.match(plan.reason, /^longest first: expected durations of 4 of 5 LADs from last-night \(the other 1 took the median, 60 s\)$/);
    assert.deepEqual(plan.sources, ['last-night']);
    assert.equal(plan.expectedSeconds[lads[3]], 60);
    const order = longestFirst(lads, packExpectedSeconds(lads, new Map(Object.entries(plan.expectedSeconds))));
    assert.deepEqual(order, [lads[4], lads[0], lads[1], lads[2], lads[3]], 'the long LAD first, ties in input order');
  });

  it('learns from the most recent run first, and only from succeeded LADs', () => {
    const plan = planOf({ lads: lads.slice(0, 2), recipe: sim }, [manifest('new', { [lads[0]]: 10 }), manifest('old', { [lads[0]]: 99, [lads[1]]: 20 }), manifest('failed', { [lads[1]]: 1 }, 'failed')]);
    assert.deepEqual(plan.expectedSeconds, { [lads[0]]: 10, [lads[1]]: 20 });
  });

  it('keeps input order without history, and when input order is asked (saying why)', () => {
    const none = planOf({ lads, recipe: sim }, []);
    assert.equal(none.used, 'input');
    assert.match(none.reason, /^input order: no expected durations: no earlier run/);
    assert.deepEqual(none.expectedSeconds, {});
    const asked = planOf({ lads, recipe: sim, order: 'input' }, [manifest('n', { [lads[4]]: 3600 })]);
    assert.equal(asked.used, 'input');
    assert.match(asked.reason, /^input order, as asked; expected durations of 1 of 5 LADs from n/);
    assert.equal(asked.expectedSeconds[lads[4]], 3600, 'the ETA still gets the expectations');
  });

  it('uses spenser-sim simulated sizes when there is no history and durations spread', () => {
    const spread: Recipe = { ...sim, options: { ...sim.options, durationMs: 10_000, durationSpread: 10 } } as Recipe;
    const plan = planOf({ lads, recipe: spread }, []);
    assert.equal(plan.used, 'longest-first');
    assert.match(plan.reason, /simulated sizes of spenser-sim/);
    for (const lad of lads) assert.equal(plan.expectedSeconds[lad], Math.round(simulatedDurationMsOf(lad, { durationMs: 10_000, durationSpread: 10 }) / 1000));
  });

  it('starts queued LADs in the plan order, and in input order without a plan', () => {
    const expected = packExpectedSeconds(lads, new Map([[lads[3], 500], [lads[1], 100]]));
    const state = stateOf(lads, { used: 'longest-first', reason: 'x', expected, slotsPerNode: 1 });
    assert.deepEqual(startOrderOf(state), [lads[3], lads[1], lads[0], lads[2], lads[4]]);
    assert.deepEqual(ladsToStart(state, 2), [lads[3], lads[1]]);
    assert.deepEqual(ladsToStart(stateOf(lads), 2), [lads[0], lads[1]]);
    assert.deepEqual(ladsToStart(stateOf(lads, { used: 'input', reason: 'x', expected, slotsPerNode: 1 }), 2), [lads[0], lads[1]]);
  });

  it('packs expected seconds 4 characters per LAD (40 KB at 10,000 LADs)', () => {
    const many = ladCodes(10_000);
    const packed = packExpectedSeconds(many, new Map(many.map((lad, i) => [lad, i * 7])));
    assert.equal(packed.length, 40_000);
    assert.equal(expectedSecondsAt(packed, 9_999), 9_999 * 7);
  });
});

describe('ETA from expected durations', () => {
  it('lays the work on the slots longest first, corrected by the observed/expected ratio', () => {
    // 2 slots; expected 40, 30, 20, 10 s, nothing finished (ratio 1): slot A [40, 10], slot B [30, 20] -> 50 s.
    const four = lads.slice(0, 4);
    const expected = packExpectedSeconds(four, new Map([[four[0], 40], [four[1], 30], [four[2], 20], [four[3], 10]]));
    const state = stateOf(four, { used: 'longest-first', reason: 'x', expected, slotsPerNode: 1 });
    assert.deepEqual(etaOf(state, 0), { endsAt: new Date(50_000).toISOString(), remainingMs: 50_000, remainingWorkMs: 100_000, slots: 2, ratio: 1, observedLads: 0 });

    // The first two start at 0 and take their slots; the 30-s LAD takes 45 s: the ratio 1.5 stretches what is left.
    for (const lad of ladsToStart(state, 2)) markStarted(state, lad);
    claimSlots(state, 0);
    markFinished(state, { lad: four[1], status: 'succeeded', attempts: [], durationMs: 45_000 });
    claimSlots(state, 45_000);
    const eta = etaOf(state, 45_000)!;
    assert.equal(eta.ratio, 1.5);
    // LAD 0: 60 s expected now, 45 s gone -> 15 s left on slot A. Slot B took LAD 2 at 45 s: 30 s left; LAD 3
    // (15 s) goes to slot A at 15 s -> ends at 30 s. ETA: 30 s from now.
    assert.equal(eta.remainingMs, 30_000);
    assert.equal(eta.remainingWorkMs, 15_000 + 30_000 + 15_000);
  });

  it('has none without expected durations or a known pool', () => {
    assert.equal(etaOf(stateOf(lads), 0), undefined);
    const expected = packExpectedSeconds(lads, new Map([[lads[0], 1]]));
    assert.equal(etaOf({ ...stateOf(lads, { used: 'input', reason: 'x', expected, slotsPerNode: 1 }), pool: undefined }, 0), undefined);
  });
});

describe('spenser-sim duration spread', () => {
  it('gives each LAD a stable factor from 1 to the spread, about 10x across the 380-LAD list', () => {
    const all = [...ladCodes(300), ...ladCodes(50, 'W0600'), ...ladCodes(30, 'S1200')];
    const factors = all.map((lad) => durationFactorOf(lad, 10));
    assert.ok(factors.every((f) => f >= 1 && f <= 10));
    assert.ok(Math.max(...factors) / Math.min(...factors) >= 8, `spread ${Math.max(...factors) / Math.min(...factors)}`);
    assert.deepEqual(all.map((lad) => durationFactorOf(lad, 10)), factors, 'deterministic');
    assert.equal(simulatedDurationMsOf(all[0], { durationMs: 1000 }), 1000, 'no spread by default');
  });
});

describe('run input: order, durationsFrom, priority', () => {
  it('refuses bad values naming the field', () => {
    const bad = (extra: Record<string, unknown>) => {
      const parsed = parseRunInput({ lads: ['E06000001'], ...extra }, 'wf');
      assert.equal(parsed.ok, false);
      return (parsed as { message: string }).message;
    };
    assert.match(bad({ order: 'shortest-first' }), /order.*must be "input" or "longest-first"/);
    assert.match(bad({ priority: 2000 }), /priority.*must be <= 1000/);
    assert.match(bad({ priority: 1.5 }), /priority.*must be an integer/);
    assert.match(bad({ durationsFrom: ['bad id!'] }), /durationsFrom/);
    assert.match(bad({ recipe: { name: 'spenser-sim', options: { durationSpread: 0.5 } } }), /durationSpread/);
    assert.equal(parseRunInput({ lads: ['E06000001'], order: 'input', priority: -1000, durationsFrom: ['night-1'] }, 'wf').ok, true);
  });

  it('maps run priority onto Temporal priority keys, higher first', () => {
    assert.deepEqual([1000, 750, 500, 0, -300, -1000].map(priorityKeyOf), [1, 1, 2, 3, 4, 5]);
  });
});
