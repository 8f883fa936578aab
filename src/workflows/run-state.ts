/**
 * Pure state transitions of a run (no Temporal, no I/O), so they are unit-tested without a server. spcRun
 * wires signals, updates and child results to these functions.
 */
import type { LadResult } from '../schemas/lad';
import { formatIssues } from '../schemas/issues';
import { MAX_DURATION_SAMPLE, MAX_SUMMARY_FAILURES } from '../schemas/limits';
import { packLads, unpackLads } from '../schemas/packed-lads';
import type { AuditEntry, LadStatus, PoolTarget, ProgressRequest, RunProgress, RunStatus } from '../schemas/progress';
import type { NormalisedRunInput } from '../schemas/run-input';
import type { PackedRunState, RunState } from '../schemas/run-state';
import type { RunSummary } from '../schemas/summary';
import { etaOf } from './eta';
import { isInFlight } from './lad-status';
import { startOrderOf } from './lad-order';
import { progressSchemas } from './lazy-schemas';
import { capacityOf, costOf } from './pool-watch-state';

/** Audit entries kept (oldest dropped first), so the state and the query reply stay small. */
export const MAX_AUDIT_ENTRIES = 200;
/** Failed LADs whose last attempt (with its stderr tail) the parent keeps for the summary. */
export const MAX_KEPT_LAST_ATTEMPTS = 20;
/** Failed LADs whose error line the parent keeps (the rest have theirs in their record in the container). */
export const MAX_KEPT_ERRORS = MAX_SUMMARY_FAILURES;
/** Whole results kept of LADs whose child could not record theirs (beyond, the manifest gets the compact record). */
export const MAX_KEPT_RESULTS = 50;
/** Longest error line kept per failed LAD. */
export const MAX_ERROR_CHARS = 300;

/** A fresh run over `lads`, all queued. */
export function newRunState(input: NormalisedRunInput, lads: readonly string[], nowMs: number): RunState {
  return {
    runId: input.runId,
    status: 'preparing',
    paused: false,
    startedAt: new Date(nowMs).toISOString(),
    deadline: nowMs + input.timeouts.runMs,
    ladOrder: [...lads],
    // A redrive continues the original's attempt numbers (ladRun starts at attempts + 1).
    lads: Object.fromEntries(lads.map((lad) => [lad, { status: 'queued' as const, attempts: (input.redrive?.firstAttempts[lad] ?? 1) - 1 }])),
    audit: [],
    continuedAsNew: 0,
  };
}

/** Appends an audit entry, keeping the last {@link MAX_AUDIT_ENTRIES}. */
export function audit(state: RunState, nowMs: number, action: string, detail?: string, reason?: string): void {
  const entry: AuditEntry = { at: new Date(nowMs).toISOString(), action, ...(detail && { detail }), ...(reason && { reason }) };
  state.audit.push(entry);
  if (state.audit.length > MAX_AUDIT_ENTRIES) state.audit.splice(0, state.audit.length - MAX_AUDIT_ENTRIES);
}

const countIn = (state: RunState, ...statuses: LadStatus[]): number =>
  state.ladOrder.filter((lad) => statuses.includes(state.lads[lad].status)).length;

/** LADs whose child is in flight. */
export const inFlightCount = (state: RunState): number => state.ladOrder.filter((lad) => isInFlight(state.lads[lad].status)).length;

/**
 * The queued LADs to start now: none while paused or stopping, else up to `cap` in flight in total.
 * @param cap children allowed in flight at once
 */
export function ladsToStart(state: RunState, cap: number): string[] {
  if (state.paused || state.stop) return [];
  const room = cap - inFlightCount(state);
  if (room <= 0) return [];
  return startOrderOf(state).filter((lad) => state.lads[lad].status === 'queued').slice(0, room);
}

export function markStarted(state: RunState, lad: string): void {
  const rec = state.lads[lad];
  if (rec.status === 'queued') rec.status = 'running';
}

/** A child reported a failed attempt that will be retried. Ignored once the LAD has finished. */
export function markRetrying(state: RunState, lad: string, attempt: number): void {
  const rec = state.lads[lad];
  if (!rec || isFinished(rec.status)) return;
  rec.status = 'retrying';
  rec.attempts = Math.max(rec.attempts, attempt);
}

/**
 * Records a child's result, compactly: status, attempts, duration, and for a failure its error (and its last attempt
 * for the first few). The whole result is kept only when the child did not write it to storage (before 0.2, or
 * the write failed), for the first few such LADs.
 * A LAD is finished once: a second result for it is ignored (never counted twice).
 */
export function markFinished(state: RunState, result: LadResult): boolean {
  const rec = state.lads[result.lad];
  if (!rec || isFinished(rec.status)) return false;
  rec.status = result.status;
  rec.attempts = Math.max(rec.attempts, result.attempts.length);
  if (result.durationMs !== undefined) rec.durationMs = result.durationMs;
  const preemptions = result.attempts.reduce((n, a) => n + (a.preemptions ?? 0), 0);
  if (preemptions > 0) state.preemptions = (state.preemptions ?? 0) + preemptions;
  if (result.status === 'failed') {
    if (result.error && countKept(state, 'error') < MAX_KEPT_ERRORS) rec.error = result.error.slice(0, MAX_ERROR_CHARS);
    const last = result.attempts.at(-1);
    if (last && countKept(state, 'lastAttempt') < MAX_KEPT_LAST_ATTEMPTS) rec.lastAttempt = last;
  }
  if (!result.recorded && result.attempts.length > 0 && countKept(state, 'result') < MAX_KEPT_RESULTS) rec.result = result;
  return true;
}

const countKept = (state: RunState, field: 'error' | 'lastAttempt' | 'result'): number => state.ladOrder.reduce((n, lad) => n + (state.lads[lad][field] !== undefined ? 1 : 0), 0);

/** The state as carried across continue-as-new (`inputLads`: the input's list, carried beside it). */
export function packRunState(state: RunState, inputLads: readonly string[] | undefined): PackedRunState {
  const { ladOrder, lads, ...rest } = state;
  return { ...rest, format: 2, lads: packLads(ladOrder, lads, inputLads) };
}

/** The state back from {@link packRunState}. */
export function unpackRunState(packed: PackedRunState, inputLads: readonly string[] | undefined): RunState {
  const { format: _format, lads, ...rest } = packed;
  return { ...rest, ...unpackLads(lads, inputLads) };
}

/**
 * A LAD whose child was cancelled or terminated on its own (Web UI, CLI), the run itself going on: recorded
 * `cancelled` with why, so it frees its slot and the run ends normally. @returns false when already finished.
 */
export function markCancelled(state: RunState, lad: string, nowMs: number, why: string): boolean {
  const rec = state.lads[lad];
  if (!rec || isFinished(rec.status)) return false;
  rec.status = 'cancelled';
  rec.note = why;
  audit(state, nowMs, 'lad cancelled', `${lad}: ${why}`);
  return true;
}

/**
 * A LAD child that closed without a result, as the reaper saw it (started before a continue-as-new, so its close
 * reached no open run): cancelled or terminated counts as `cancelled`, timed out or failed as `failed`. Ignored
 * while the run stops (its stop accounts for every unfinished LAD) and once the LAD finished. @returns true if recorded.
 */
export function markClosedAlone(state: RunState, closed: { lad: string; status: string }, nowMs: number): boolean {
  if (state.stop) return false;
  const why = `its workflow closed ${closed.status.toLowerCase().replaceAll('_', ' ')}`;
  if (closed.status === 'CANCELLED' || closed.status === 'TERMINATED') return markCancelled(state, closed.lad, nowMs, why);
  return markFinished(state, { lad: closed.lad, status: 'failed', attempts: [], error: why });
}

/** Running or retrying LADs whose child was not started by this run of the chain (an earlier run started it). */
export function adoptedLads(state: RunState, startedHere: ReadonlySet<string>): string[] {
  return state.ladOrder.filter((lad) => isInFlight(state.lads[lad].status) && !startedHere.has(lad));
}

/** Marks LADs not yet finished as cancelled (after a cancel, timeout or the failure threshold). */
export function markUnfinishedCancelled(state: RunState): string[] {
  const lads = state.ladOrder.filter((lad) => !isFinished(state.lads[lad].status));
  for (const lad of lads) state.lads[lad].status = 'cancelled';
  return lads;
}

export const isFinished = (status: LadStatus): boolean => status === 'succeeded' || status === 'failed' || status === 'cancelled';

/** True when every LAD has finished. */
export const allFinished = (state: RunState): boolean => state.ladOrder.every((lad) => isFinished(state.lads[lad].status));

/** Pause: stop starting children. @returns false when already paused (nothing to do). */
export function applyPause(state: RunState, nowMs: number, reason?: string): boolean {
  if (state.paused || state.stop) return false;
  state.paused = true;
  if (state.status === 'running') state.status = 'paused';
  audit(state, nowMs, 'pause', undefined, reason);
  return true;
}

/** Resume after a pause. @returns false when not paused. */
export function applyResume(state: RunState, nowMs: number, reason?: string): boolean {
  if (!state.paused) return false;
  state.paused = false;
  if (state.status === 'paused') state.status = 'running';
  audit(state, nowMs, 'resume', undefined, reason);
  return true;
}

/** Records a new pool target. */
export function applyScale(state: RunState, nowMs: number, target: PoolTarget, reason?: string): void {
  const before = state.pool;
  state.pool = target;
  state.userScaledPool = true;
  const from = before ? `${before.targetDedicated}+${before.targetLowPriority}` : '?';
  audit(state, nowMs, 'scalePool', `${from} -> ${target.targetDedicated}+${target.targetLowPriority} nodes`, reason);
}

/** Why a scalePool request must be refused now (the update rejects it, the signal ignores it); undefined when fine. */
export function scaleRejection(state: RunState): string | undefined {
  if (state.stop) return `the run is stopping (${state.stop.reason})`;
  if (['finalizing', 'completed', 'completed_with_failures', 'failed', 'cancelled'].includes(state.status)) return `the run is ${state.status}`;
  return undefined;
}

/** Asks the run to stop (first request wins). @returns false when already stopping. */
export function requestStop(state: RunState, nowMs: number, status: 'cancelled' | 'failed', reason: string): boolean {
  if (state.stop) return false;
  state.stop = { status, reason };
  audit(state, nowMs, status === 'cancelled' ? 'cancel' : 'stop', undefined, reason);
  return true;
}

/**
 * Whether failures have passed the tolerated threshold (count, or percent of all LADs). Without a threshold,
 * failures never stop the run.
 */
export function thresholdExceeded(state: RunState, threshold?: { count?: number; percent?: number }): boolean {
  if (!threshold) return false;
  const failed = countIn(state, 'failed');
  if (threshold.count !== undefined && failed > threshold.count) return true;
  if (threshold.percent !== undefined && (failed * 100) / state.ladOrder.length > threshold.percent) return true;
  return false;
}

/** The run's final status from its LADs and stop request. */
export function finalStatus(state: RunState): RunStatus {
  if (state.stop) return state.stop.status;
  if (countIn(state, 'failed', 'cancelled') > 0) return 'completed_with_failures';
  return 'completed';
}

/** LAD counts by state, in one pass. */
export function countsOf(state: RunState): RunProgress['counts'] {
  const counts = { total: state.ladOrder.length, queued: 0, running: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 0 };
  for (const lad of state.ladOrder) counts[state.lads[lad].status] += 1;
  return counts;
}

/**
 * Reply of the `progress` query: counts of all LADs, and one page of them (by state, offset and limit), so the
 * reply stays small whatever the run's size. An invalid request throws (the query fails, naming the field).
 */
export function progressOf(state: RunState, request: ProgressRequest = {}): RunProgress {
  const parsed = progressSchemas().ProgressRequestSchema.safeParse(request);
  if (!parsed.success) throw new Error(`invalid progress request: ${formatIssues(parsed.error)}`);
  const { status, offset, limit } = parsed.data;
  const matching = status ? state.ladOrder.filter((lad) => state.lads[lad].status === status) : state.ladOrder;
  const lads = matching.slice(offset, offset + limit).map((lad) => {
    const rec = state.lads[lad];
    return { lad, status: rec.status, attempts: rec.attempts, ...(rec.durationMs !== undefined && { durationMs: rec.durationMs }) };
  });
  const finishedDurationsMs: number[] = [];
  for (const lad of state.ladOrder) {
    if (finishedDurationsMs.length >= MAX_DURATION_SAMPLE) break;
    const rec = state.lads[lad];
    if (rec.status === 'succeeded' && rec.durationMs !== undefined) finishedDurationsMs.push(rec.durationMs);
  }
  return {
    runId: state.runId,
    status: state.status,
    paused: state.paused,
    counts: countsOf(state),
    lads,
    page: { ...(status && { status }), offset, limit, matching: matching.length },
    finishedDurationsMs,
    preemptions: state.preemptions ?? 0,
    ...(state.pool && { pool: state.pool }),
    ...(state.poolWatch && { capacity: capacityOf(state), cost: costOf(state) }),
    ...(state.plan && { order: { used: state.plan.used, reason: state.plan.reason } }),
    ...withEta(state),
    audit: [...state.audit],
    startedAt: state.startedAt,
  };
}

/** The ETA from expected durations, when the run has them (else the CLI extrapolates from the finished LADs). */
function withEta(state: RunState): Pick<RunProgress, 'eta'> {
  const eta = etaOf(state, Date.now());
  return eta ? { eta } : {};
}

/** Builds the run's summary. */
export function summaryOf(
  state: RunState,
  nowMs: number,
  extra: Pick<RunSummary, 'manifest' | 'finalCheck' | 'collated' | 'cleanedUp' | 'lineage' | 'diff'>,
): RunSummary {
  const { total, succeeded, cancelled } = countsOf(state);
  const failed = state.ladOrder.filter((lad) => state.lads[lad].status === 'failed');
  const failures = failed.slice(0, MAX_SUMMARY_FAILURES).map((lad) => {
    const rec = state.lads[lad];
    const lastAttempt = rec.lastAttempt ?? rec.result?.attempts.at(-1);
    const error = rec.error ?? rec.result?.error;
    return { lad, attempts: rec.attempts, ...(lastAttempt && { lastAttempt }), ...(error && { error }) };
  });
  const started = Date.parse(state.startedAt);
  return {
    runId: state.runId,
    status: state.status,
    ...(state.prepared && { container: state.prepared.container, jobId: state.prepared.jobId, poolId: state.prepared.poolId }),
    ...extra,
    counts: { total, succeeded, failed: failed.length, cancelled },
    failures,
    preemptions: state.preemptions ?? 0,
    ...(state.poolWatch && { cost: costOf(state) }),
    ...(failed.length > failures.length && { failuresOmitted: failed.length - failures.length }),
    ...(state.stop && { reason: state.stop.reason }),
    audit: [...state.audit],
    startedAt: state.startedAt,
    finishedAt: new Date(nowMs).toISOString(),
    durationMs: nowMs - started,
  };
}
