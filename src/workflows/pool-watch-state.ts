/**
 * The pool watch's figures in the run state, as pure functions (no Temporal; unit-tested without a server): take in
 * a watch report, price the node time, tell a pool without nodes, tell a budget passed.
 */
import type { CostEstimate, RunRates } from '../schemas/cost';
import { addNodeTime, estimateCost, formatMoney } from '../schemas/cost-estimate';
import type { CapacityProgress, PoolWatchState, WatchReport } from '../schemas/pool-watch';
import type { RunState } from '../schemas/run-state';

/** A run's watch before its first report. */
export function newPoolWatchState(vmSizes: readonly string[], vmSizeIndex: number, budget?: number): PoolWatchState {
  return { vmSizeIndex, vmSize: vmSizes[vmSizeIndex] ?? vmSizes[0], nodeTime: [], ...(budget !== undefined && { budget }) };
}

/** Takes in one report: its node time, rates, last reading, and whether the pool is stuck without nodes. */
export function applyWatchReport(watch: PoolWatchState, report: WatchReport): void {
  addNodeTime(watch.nodeTime, report.nodeTime);
  if (report.rates) watch.rates = mergeRates(watch.rates, report.rates);
  if (report.last) watch.last = report.last;
  if (report.zeroNodesSince !== undefined) watch.zeroNodesSince = report.zeroNodesSince;
  else delete watch.zeroNodesSince;
  if (report.kind === 'stuck' && report.stuck) watch.stuck = report.stuck;
  if (report.kind === 'unstuck' || report.zeroNodesSince === undefined) delete watch.stuck;
}

/** The pool now has `vmSize` (made again after an allocation failure): no node yet, a fresh zero-node spell. */
export function applyVmSizeChange(watch: PoolWatchState, vmSizeIndex: number, vmSize: string, nowMs: number): void {
  watch.vmSizeIndex = vmSizeIndex;
  watch.vmSize = vmSize;
  watch.last = { at: nowMs, vmSize: vmSize.toLowerCase(), dedicated: 0, spot: 0 };
  delete watch.zeroNodesSince;
  delete watch.stuck;
}

function mergeRates(known: RunRates | undefined, more: RunRates): RunRates {
  return { currency: more.currency, date: more.date, source: more.source, rates: { ...known?.rates, ...more.rates } };
}

/** The run's cost so far, priced; undefined before the watch began. */
export function costOf(state: RunState): CostEstimate | undefined {
  const watch = state.poolWatch;
  return watch && estimateCost(watch.nodeTime, watch.rates, watch.budget);
}

/** The pool's size and nodes as last read, and why it has none when that lasted past the limit. */
export function capacityOf(state: RunState): CapacityProgress | undefined {
  const watch = state.poolWatch;
  if (!watch) return undefined;
  return {
    vmSize: watch.vmSize,
    ...(watch.last && { nodes: { dedicated: watch.last.dedicated, spot: watch.last.spot } }),
    ...(watch.zeroNodesSince !== undefined && { zeroNodesSince: new Date(watch.zeroNodesSince).toISOString() }),
    ...(watch.stuck && { stuck: watch.stuck }),
  };
}

/** Why the run must stop for its budget (the estimate passed it), or undefined. */
export function budgetExceeded(state: RunState): string | undefined {
  const cost = costOf(state);
  if (cost?.budget === undefined || cost.estimate === undefined || cost.estimate <= cost.budget) return undefined;
  const currency = cost.currency ? ` ${cost.currency}` : '';
  return `budget exceeded: estimated cost ${formatMoney(cost.estimate)}${currency} > budget ${formatMoney(cost.budget)}${currency}`;
}
