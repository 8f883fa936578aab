/** The pool's timeline in a benchmark: how busy its slots were, from the tasks' start and end times. */

export interface Interval {
  startMs: number;
  endMs: number;
}

/** The fraction of `slots` x [fromMs, toMs] that tasks ran in. */
export function busyFraction(tasks: readonly Interval[], slots: number, fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return NaN;
  let busy = 0;
  for (const t of tasks) busy += Math.max(0, Math.min(t.endMs, toMs) - Math.max(t.startMs, fromMs));
  return busy / (slots * (toMs - fromMs));
}

/** The whole run's span on the pool: first task start to last task end. */
export function span(tasks: readonly Interval[]): Interval {
  return { startMs: Math.min(...tasks.map((t) => t.startMs)), endMs: Math.max(...tasks.map((t) => t.endMs)) };
}
