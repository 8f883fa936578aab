/**
 * The one way an spcRun is started. The client API (`startSpcRun`), `spc run`, the main job, `spc redrive` and
 * `spc schedule create` all build their start options here, so the workflow task timeout and the search attributes
 * a run starts with cannot drift apart between entry points. Client-side code: no activities, no Azure SDK.
 */
import type { ScheduleOptionsStartWorkflowAction, WorkflowStartOptions } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { parseOrThrow } from './schemas/issues';
import { priorityKeyOf } from './schemas/priority';
import { RunInputSchema, runIdFromWorkflowId, type RawRunInput, type RunInput } from './schemas/run-input';
import { SpcLadCountKey, SpcRunIdKey, SpcStatusKey } from './workflows/search-attributes';
import type { spcRun } from './workflows/spc-run';

/** The workflow type every entry point starts. */
export const SPC_RUN_WORKFLOW_TYPE = 'spcRun';

/**
 * The workflow task timeout of every run. Why: a 1,000-LAD parent's workflow tasks took over the default 10 s on a
 * loaded 2-core machine, and a timed-out task is retried from scratch, so the run never progressed.
 */
export const SPC_RUN_WORKFLOW_TASK_TIMEOUT = '1 minute';

/** @default task queue of {@link startSpcRun} when none is given. */
export const DEFAULT_TASK_QUEUE = 'spc-run';

/** What the caller decides about a start; the rest is fixed by {@link spcRunStartOptions}. */
export interface StartSpcRunOptions {
  /** The workflow id. @default the input's runId, else `spc-<UTC yyyymmdd-hhmmss>` ({@link defaultRunId}) */
  workflowId?: string;
  /** @default {@link DEFAULT_TASK_QUEUE} */
  taskQueue?: string;
  /** One line the Temporal Web UI shows on the run (no secrets). */
  staticSummary?: string;
  /** Markdown details the Web UI shows on the run (no secrets). */
  staticDetails?: string;
  /** Memo fields, e.g. `{ redriveOf }`. */
  memo?: Record<string, unknown>;
}

/** A run id from the clock, e.g. `spc-20261128-020000`: readable, sortable, and derived rather than random. */
export function defaultRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '');
  return `spc-${t.slice(0, 8)}-${t.slice(9, 15)}`;
}

/**
 * The search attributes a run starts with. `SpcRunId` is the run id the workflow itself will use (the input's, else
 * one derived from the workflow id); `SpcLadCount` is known only for an inline LAD list (a CSV blob is counted by the
 * run after it read it). Omit `workflowId` when it is not known yet (a schedule's action): `SpcRunId` is then left
 * for the run's first workflow task, unless the input names a run id.
 */
function startSearchAttributes(input: Pick<RunInput, 'runId' | 'lads'>, workflowId: string | undefined): SearchAttributePair[] {
  const runId = input.runId ?? (workflowId === undefined ? undefined : runIdFromWorkflowId(workflowId));
  return [
    ...(runId === undefined ? [] : [{ key: SpcRunIdKey, value: runId }]),
    { key: SpcStatusKey, value: 'preparing' },
    ...(input.lads ? [{ key: SpcLadCountKey, value: input.lads.length }] : []),
  ];
}

/** The metadata fields of `options` that were given (the SDK rejects none, but undefined keys clutter a schedule). */
function metadata(options: StartSpcRunOptions): Pick<StartSpcRunOptions, 'staticSummary' | 'staticDetails' | 'memo'> {
  const { staticSummary, staticDetails, memo } = options;
  return { ...(staticSummary && { staticSummary }), ...(staticDetails && { staticDetails }), ...(memo && { memo }) };
}

/**
 * Validates `input` (a RangeError naming every bad field) and builds the options that start spcRun on it.
 * @returns the workflow type and the `client.workflow.start` options
 * @example
 * ```ts
 * const { workflowType, options } = spcRunStartOptions({ lads: ['E06000001'] }, { taskQueue: 'spc-run' });
 * await client.workflow.start(workflowType, options);
 * ```
 */
export function spcRunStartOptions(
  input: RawRunInput,
  options: StartSpcRunOptions = {},
): { workflowType: typeof SPC_RUN_WORKFLOW_TYPE; options: WorkflowStartOptions<typeof spcRun> } {
  const parsed = parseOrThrow(RunInputSchema, input, 'input');
  const workflowId = options.workflowId ?? parsed.runId ?? defaultRunId();
  return {
    workflowType: SPC_RUN_WORKFLOW_TYPE,
    options: {
      taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
      workflowId,
      args: [input],
      workflowTaskTimeout: SPC_RUN_WORKFLOW_TASK_TIMEOUT,
      typedSearchAttributes: startSearchAttributes(parsed, workflowId),
      // Children and activities inherit it from the run (the server propagates a workflow's priority).
      ...(parsed.priority !== undefined && { priority: { priorityKey: priorityKeyOf(parsed.priority) } }),
      ...metadata(options),
    },
  };
}

/**
 * The schedule action that starts spcRun on `input`: the same workflow task timeout and search attributes as
 * {@link spcRunStartOptions}, as far as an action allows. The workflow id is a prefix (Temporal appends the scheduled
 * time), so `SpcRunId` comes from the run's first workflow task unless the input names a run id; Temporal adds
 * `TemporalScheduledById` itself.
 * @param options.workflowId the prefix of the runs' workflow ids, usually the schedule id
 */
export function spcRunScheduleAction(
  input: RawRunInput,
  options: StartSpcRunOptions & { workflowId: string },
): ScheduleOptionsStartWorkflowAction<typeof spcRun> {
  const parsed = parseOrThrow(RunInputSchema, input, 'input');
  return {
    type: 'startWorkflow',
    workflowType: SPC_RUN_WORKFLOW_TYPE,
    workflowId: options.workflowId,
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    args: [input],
    workflowTaskTimeout: SPC_RUN_WORKFLOW_TASK_TIMEOUT,
    typedSearchAttributes: startSearchAttributes(parsed, undefined),
    ...metadata(options),
  };
}
