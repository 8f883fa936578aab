/**
 * The order a run starts its LADs in: longest processing time first (LPT) when the plan says so, else the input
 * order. Why LPT: with LADs from minutes to hours on a fixed pool, a long LAD started last runs alone while the pool
 * idles; started first, the short ones fill the gaps around it (Graham's bound: within 4/3 of the best order, and
 * close to the bound max(longest, work / slots) when LADs are many). Pure and deterministic (ties keep input order),
 * so replay computes the same order; computed once per run of the chain and kept beside its state.
 */
import { expectedSecondsAt } from '../outputs/expected-durations';
import type { RunState } from '../schemas/run-state';

const startOrders = new WeakMap<RunState, string[]>();
const ranks = new WeakMap<RunState, Map<string, number>>();

/** The LADs longest expected first; LADs without an expectation keep their place after those with one. */
export function longestFirst(ladOrder: readonly string[], expected: string): string[] {
  const seconds = ladOrder.map((_, i) => expectedSecondsAt(expected, i) ?? -1);
  return ladOrder.map((_, i) => i).sort((a, b) => seconds[b] - seconds[a] || a - b).map((i) => ladOrder[i]);
}

/** The order `state`'s LADs start in. */
export function startOrderOf(state: RunState): readonly string[] {
  if (state.plan?.used !== 'longest-first' || !state.plan.expected) return state.ladOrder;
  let order = startOrders.get(state);
  if (!order) {
    order = longestFirst(state.ladOrder, state.plan.expected);
    startOrders.set(state, order);
  }
  return order;
}

/**
 * A LAD's place in the run's start order (0 first), once the run has a plan (since 0.3). Given to its child, so the
 * worker adds the run's tasks in this order however its children's activities happen to arrive.
 */
export function rankOf(state: RunState, lad: string): number | undefined {
  if (!state.plan) return undefined;
  let byLad = ranks.get(state);
  if (!byLad) {
    byLad = new Map(startOrderOf(state).map((l, i) => [l, i]));
    ranks.set(state, byLad);
  }
  return byLad.get(lad);
}

/** Expected milliseconds per LAD of `state`, when the plan has them. */
export function expectedMsOf(state: RunState): Map<string, number> | undefined {
  const expected = state.plan?.expected;
  if (!expected) return undefined;
  const byLad = new Map<string, number>();
  state.ladOrder.forEach((lad, i) => {
    const s = expectedSecondsAt(expected, i);
    if (s !== undefined) byLad.set(lad, s * 1000);
  });
  return byLad;
}
