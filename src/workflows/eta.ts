/**
 * The run's ETA from its LADs' expected durations (pure, unit-tested): what is left of each running LAD and the
 * whole of each queued one, each times this run's observed/expected ratio (so a slower night corrects itself after
 * a few LADs), laid in start order on the pool's slots, each LAD on the slot that frees first. That is remaining
 * expected work over active slots, with the tail a long LAD makes accounted for.
 *
 * Which LADs hold a slot is reckoned by the parent ({@link claimSlots}): a child started while a slot is free takes
 * it at once; the others wait for a LAD ahead to finish, as the capacity-shaped submission makes their tasks do.
 */
import type { RunEta } from '../schemas/progress';
import type { RunState } from '../schemas/run-state';
import { expectedMsOf, startOrderOf } from './lad-order';
import { isInFlight } from './lad-status';

/** Slots of the pool the run works on (0 when unknown). */
export function slotsOf(state: RunState): number {
  if (!state.pool || !state.plan) return 0;
  return (state.pool.targetDedicated + state.pool.targetLowPriority) * state.plan.slotsPerNode;
}

/** Gives free slots to the in-flight LADs that wait for one, in start order, as of `nowMs`. */
export function claimSlots(state: RunState, nowMs: number): void {
  const slots = slotsOf(state);
  if (slots === 0) return;
  const order = startOrderOf(state);
  let held = 0;
  for (const lad of order) if (isInFlight(state.lads[lad].status) && state.lads[lad].slotSince !== undefined) held++;
  for (const lad of order) {
    if (held >= slots) return;
    const rec = state.lads[lad];
    if (isInFlight(rec.status) && rec.slotSince === undefined) {
      rec.slotSince = nowMs;
      held++;
    }
  }
}

/** A binary min-heap of slot free times. */
class FreeTimes {
  private readonly heap: number[] = [];
  push(t: number): void {
    const h = this.heap;
    h.push(t);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (h[p] <= h[i]) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }
  pop(): number {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l] < h[m]) m = l;
        if (r < h.length && h[r] < h[m]) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
  max(): number {
    return this.heap.reduce((a, b) => Math.max(a, b), 0);
  }
}

/** The ETA of `state` at `nowMs`, or undefined when the run has no expected durations or no known pool. */
export function etaOf(state: RunState, nowMs: number): RunEta | undefined {
  const expected = expectedMsOf(state);
  const slots = slotsOf(state);
  if (!expected || expected.size === 0 || slots === 0) return undefined;
  let observed = 0;
  let expectedOfObserved = 0;
  let observedLads = 0;
  for (const lad of state.ladOrder) {
    const rec = state.lads[lad];
    const e = expected.get(lad);
    if (rec.status === 'succeeded' && rec.durationMs !== undefined && e !== undefined && e > 0) {
      observed += rec.durationMs;
      expectedOfObserved += e;
      observedLads++;
    }
  }
  const ratio = observedLads > 0 ? observed / expectedOfObserved : 1;
  // LADs with no expectation (none, when the plan filled them with the median) count as the median would.
  const fallback = [...expected.values()].sort((a, b) => a - b)[expected.size >> 1];
  const free = new FreeTimes();
  const waiting: number[] = [];
  let work = 0;
  let holding = 0;
  for (const lad of startOrderOf(state)) {
    const rec = state.lads[lad];
    const full = (expected.get(lad) ?? fallback) * ratio;
    if (isInFlight(rec.status) && rec.slotSince !== undefined && holding < slots) {
      const left = Math.max(0, full - (nowMs - rec.slotSince));
      free.push(left);
      work += left;
      holding++;
    } else if (rec.status === 'queued' || isInFlight(rec.status)) {
      waiting.push(full);
      work += full;
    }
  }
  for (; holding < slots; holding++) free.push(0);
  for (const full of waiting) free.push(free.pop() + full);
  const remainingMs = Math.round(free.max());
  return { endsAt: new Date(nowMs + remainingMs).toISOString(), remainingMs, remainingWorkMs: Math.round(work), slots, ratio: Math.round(ratio * 1000) / 1000, observedLads };
}
