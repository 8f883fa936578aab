/**
 * Signals, updates and queries of spcRun, shared by the workflow and its clients (CLI, client.ts).
 * Payloads are parsed inside the handlers: an invalid signal is logged and ignored; the update validates first.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ControlRequest, ScaleRequest } from '../schemas/control';
import type { LadResult } from '../schemas/lad';
import type { PoolTarget, ProgressRequest, RunProgress } from '../schemas/progress';

/** Stop starting LADs and disable the Batch job with `wait` (running tasks finish). */
export const pauseSignal = defineSignal<[ControlRequest?]>('pause');
/** Undo a pause: enable the job and start LADs again. */
export const resumeSignal = defineSignal<[ControlRequest?]>('resume');
/** Resize the run's pool (fire and forget; use {@link scalePoolUpdate} to see the result). */
export const scalePoolSignal = defineSignal<[ScaleRequest]>('scalePool');
/** Cancel the run: terminate the Batch job, cancel the LADs, clean up per policy, end `cancelled`. */
export const cancelSignal = defineSignal<[ControlRequest?]>('cancel');
/** Resize the run's pool; rejected before acceptance if the sizes are invalid; replies with the new target. */
export const scalePoolUpdate = defineUpdate<PoolTarget, [ScaleRequest]>('scalePool');
/**
 * Counts by state, pool target, paused or not, the audit trail, and one page of per-LAD states (by default the first
 * 500 LADs; ask for `{ status, offset, limit }` for others, limit up to 1,000).
 */
export const progressQuery = defineQuery<RunProgress, [ProgressRequest?]>('progress');

/** Sent by a ladRun child to its parent when an attempt failed and will be retried (failures only). */
export const ladRetryingSignal = defineSignal<[{ lad: string; attempt: number }]>('ladRetrying');

/**
 * Sent by a ladRun child to its parent's workflow id with its result (since 0.2). A signal to a workflow id reaches the
 * current run of its continue-as-new chain, so a LAD started before a continue still reports; a result that also
 * arrives as the child's completion is counted once.
 */
export const ladFinishedSignal = defineSignal<[LadResult]>('ladFinished');

/** How a LAD child closed without reporting a result (seen by the reaper). */
export interface LadClosed {
  lad: string;
  /** The child's close status as Temporal names it: CANCELLED, TERMINATED, TIMED_OUT or FAILED. */
  status: string;
}
/**
 * Sent by the reaper to a running spcRun for each LAD child of it that closed without a result (cancelled or terminated
 * on its own after the run continued as new, so no completion event reached the current run).
 */
export const ladClosedSignal = defineSignal<[LadClosed]>('ladClosed');
