/**
 * The Temporal Schedule that runs `spcReaper` every few minutes, one per task queue. Every worker calls
 * {@link ensureReaperSchedule} at start-up: it creates the schedule if it is missing, updates it if its interval or
 * task queue changed, and is safe when several workers start at once (whoever loses the create race finds the
 * schedule there and compares). Client-side code: no activities, no Azure SDK.
 */
import { Client, ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleDescription, type ScheduleUpdateOptions } from '@temporalio/client';
import type { ReaperInput } from '../schemas/reaper';

/** The workflow type the schedule starts. */
export const REAPER_WORKFLOW_TYPE = 'spcReaper';

/** @default 5 minutes: orphaned nodes bill per hour, a pass costs two list calls. */
export const DEFAULT_REAPER_INTERVAL_MS = 5 * 60_000;

/** The schedule id, also the workflow id prefix of the passes it starts (Temporal appends the scheduled time). */
export const reaperScheduleIdOf = (taskQueue: string): string => `spc-reaper-${taskQueue}`;

export interface EnsureReaperScheduleOptions {
  /** The task queue whose runs are reaped; the passes run there too (a worker of that queue does the work). */
  taskQueue: string;
  /** @default {@link DEFAULT_REAPER_INTERVAL_MS} */
  intervalMs?: number;
  /** @default the client's namespace */
  namespace?: string;
}

/** What {@link ensureReaperSchedule} found and did. */
export type EnsureOutcome = 'created' | 'updated' | 'unchanged';

/** The schedule as it should be. */
function desiredSchedule(taskQueue: string, intervalMs: number, namespace: string): ScheduleUpdateOptions & { state: { paused: boolean; note: string } } {
  const input: ReaperInput = { namespace, taskQueue };
  return {
    spec: { intervals: [{ every: intervalMs }] },
    action: {
      type: 'startWorkflow',
      workflowType: REAPER_WORKFLOW_TYPE,
      workflowId: reaperScheduleIdOf(taskQueue),
      taskQueue,
      args: [input],
      // A pass takes seconds; a stuck one must not hold the slot that SKIP keeps for it.
      workflowExecutionTimeout: '15 minutes',
      staticSummary: `spc reaper for task queue ${taskQueue}`,
    },
    // SKIP: one pass at a time; a short catch-up window: missed passes are not worth replaying after an outage.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    state: { paused: false, note: `created by an spc-temporal worker of task queue ${taskQueue}` },
  };
}

/** True when the existing schedule already runs the reaper on this queue, namespace and interval. */
function matches(existing: ScheduleDescription, taskQueue: string, intervalMs: number, namespace: string): boolean {
  const every = existing.spec.intervals ?? [];
  const action = existing.action;
  const args = (action.args?.[0] ?? {}) as ReaperInput;
  return (
    every.length === 1 &&
    Math.abs(every[0].every - intervalMs) < 1000 &&
    (existing.spec.calendars ?? []).length === 0 &&
    action.workflowType === REAPER_WORKFLOW_TYPE &&
    action.taskQueue === taskQueue &&
    args.taskQueue === taskQueue &&
    args.namespace === namespace &&
    existing.policies.overlap === ScheduleOverlapPolicy.SKIP
  );
}

/**
 * Creates the reaper's schedule `spc-reaper-<taskQueue>` if missing, or updates it if it differs; idempotent and
 * safe to call from several workers at once.
 * @returns whether it was created, updated or already as wanted
 * @example await ensureReaperSchedule(client, { taskQueue: config.SPC_TASK_QUEUE })
 */
export async function ensureReaperSchedule(client: Client, options: EnsureReaperScheduleOptions): Promise<EnsureOutcome> {
  const { taskQueue, intervalMs = DEFAULT_REAPER_INTERVAL_MS } = options;
  if (!taskQueue) throw new RangeError('ensureReaperSchedule: taskQueue must not be empty');
  if (!Number.isInteger(intervalMs) || intervalMs < 1000) throw new RangeError(`ensureReaperSchedule: intervalMs must be an integer >= 1000 (got ${intervalMs})`);
  const namespace = options.namespace ?? client.options.namespace;
  const schedules = namespace === client.options.namespace ? client.schedule : new Client({ connection: client.connection, namespace }).schedule;
  const scheduleId = reaperScheduleIdOf(taskQueue);
  const desired = desiredSchedule(taskQueue, intervalMs, namespace);
  try {
    await schedules.create({ scheduleId, ...desired });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = schedules.getHandle(scheduleId);
  if (matches(await handle.describe(), taskQueue, intervalMs, namespace)) return 'unchanged';
  // Replaces the definition (all of it is ours; a concurrent worker would write the same), but an operator's pause stays.
  await handle.update((previous) => ({ ...desired, state: { ...desired.state, paused: previous.state.paused, note: previous.state.note || desired.state.note } }));
  return 'updated';
}

/**
 * Deletes the reaper's schedule of `taskQueue`; a missing one is fine. Passes already started are not touched.
 * @returns false when there was none
 */
export async function deleteReaperSchedule(client: Client, taskQueue: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(reaperScheduleIdOf(taskQueue)).delete();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}
