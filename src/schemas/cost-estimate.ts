/**
 * Pricing of node time, without zod (workflow code imports it, and a zod copy per cached workflow costs heap: see
 * src/workflows/lazy-schemas.ts); the shapes are in cost.ts.
 */
import type { CostEstimate, NodeTime, RunRates, VmRate } from './cost';

/** The rate of `vmSize` in `rates` (names compared case-insensitively). */
export function rateOf(rates: Record<string, VmRate>, vmSize: string): VmRate | undefined {
  const wanted = vmSize.toLowerCase();
  for (const [name, rate] of Object.entries(rates)) if (name.toLowerCase() === wanted) return rate;
  return undefined;
}

/** Adds `more` into `total` (same size, any case, and priority summed). */
export function addNodeTime(total: NodeTime[], more: readonly NodeTime[]): void {
  for (const m of more) {
    if (m.nodeMs <= 0) continue;
    const line = total.find((t) => t.vmSize.toLowerCase() === m.vmSize.toLowerCase() && t.priority === m.priority);
    if (line) line.nodeMs += m.nodeMs;
    else total.push({ ...m, vmSize: m.vmSize.toLowerCase() });
  }
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Prices node time with `rates` (when known): one line per size and priority, the estimate, what had no rate. */
export function estimateCost(nodeTime: readonly NodeTime[], rates: RunRates | undefined, budget?: number): CostEstimate {
  const unpriced: string[] = [];
  let estimate: number | undefined;
  const lines = nodeTime.map((t) => {
    const nodeHours = t.nodeMs / 3_600_000;
    const rate = rates && rateOf(rates.rates, t.vmSize);
    const perHour = t.priority === 'spot' ? rate?.spot : rate?.dedicated;
    if (perHour === undefined) {
      unpriced.push(`${t.vmSize} ${t.priority}`);
      return { vmSize: t.vmSize, priority: t.priority, nodeHours: round(nodeHours, 4) };
    }
    const cost = nodeHours * perHour;
    estimate = (estimate ?? 0) + cost;
    return { vmSize: t.vmSize, priority: t.priority, nodeHours: round(nodeHours, 4), perHour, cost: round(cost, 6) };
  });
  return {
    ...(rates && { currency: rates.currency, ratesDate: rates.date, ratesSource: rates.source }),
    ...(estimate !== undefined && { estimate: round(estimate, 6) }),
    lines,
    ...(unpriced.length > 0 && { unpriced }),
    ...(budget !== undefined && { budget }),
  };
}

/** One line for people: `~1.23 GBP (budget 5 GBP), 4.2 node-hours`. */
export function formatCost(cost: CostEstimate): string {
  const hours = cost.lines.reduce((n, l) => n + l.nodeHours, 0);
  const money = cost.estimate !== undefined ? `~${formatMoney(cost.estimate)} ${cost.currency ?? ''}`.trim() : 'cost unknown';
  const budget = cost.budget !== undefined ? ` (budget ${formatMoney(cost.budget)} ${cost.currency ?? ''})`.replace(' )', ')') : '';
  const unpriced = cost.unpriced?.length ? `, no rate for ${cost.unpriced.join(', ')}` : '';
  return `${money}${budget}, ${round(hours, 2)} node-hours${unpriced}`;
}

/** Money with enough digits to show small amounts (a test run costs a fraction of a penny). */
export function formatMoney(amount: number): string {
  if (amount === 0) return '0';
  if (Math.abs(amount) >= 1) return amount.toFixed(2);
  return amount.toPrecision(2);
}
