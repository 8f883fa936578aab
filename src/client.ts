/**
 * Typed client helpers for runs: start, find, control and watch an spcRun. Inputs are validated with the same
 * schema the workflow uses, before anything is started.
 */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { Config } from './schemas/config';
import type { ControlRequest, ScaleRequest } from './schemas/control';
import { ScaleRequestSchema } from './schemas/control';
import { parseOrThrow } from './schemas/issues';
import type { PoolTarget, RunProgress } from './schemas/progress';
import { RunInputSchema, type RawRunInput } from './schemas/run-input';
import type { RunSummary } from './schemas/summary';
import { cancelSignal, pauseSignal, progressQuery, resumeSignal, scalePoolSignal, scalePoolUpdate } from './workflows/messages';
import { SpcLadCountKey, SpcRunIdKey, SpcStatusKey } from './workflows/search-attributes';
import type { spcRun } from './workflows/spc-run';

/** A handle on a run's spcRun workflow. */
export type RunHandle = WorkflowHandle<typeof spcRun>;

/** Connects a Temporal client to the configured server and namespace. Close `client.connection` when done. */
export async function connectClient(config: Pick<Config, 'SPC_TEMPORAL_ADDRESS' | 'SPC_TEMPORAL_NAMESPACE'>): Promise<Client> {
  const connection = await Connection.connect({ address: config.SPC_TEMPORAL_ADDRESS });
  return new Client({ connection, namespace: config.SPC_TEMPORAL_NAMESPACE });
}

export interface StartSpcRunOptions {
  /** The run id and workflow id. @default input.runId, else `spc-<UTC yyyymmdd-hhmmss>` */
  workflowId?: string;
  /** @default "spc-run" */
  taskQueue?: string;
}

/** A run id from the clock, e.g. `spc-20261128-020000`. */
export function defaultRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '');
  return `spc-${t.slice(0, 8)}-${t.slice(9, 15)}`;
}

/**
 * Validates `input` (throwing a RangeError that names every bad field, before anything starts) and starts spcRun.
 * @returns the run's handle; `await handle.result()` gives the {@link RunSummary}
 */
export async function startSpcRun(client: Client, input: RawRunInput, options: StartSpcRunOptions = {}): Promise<RunHandle> {
  const parsed = parseOrThrow(RunInputSchema, input, 'input');
  const workflowId = options.workflowId ?? parsed.runId ?? defaultRunId();
  return client.workflow.start<typeof spcRun>('spcRun', {
    taskQueue: options.taskQueue ?? 'spc-run',
    workflowId,
    args: [input],
    // A 1,000-LAD parent's workflow tasks took over the default 10 s on a loaded 2-core machine; give them a minute.
    workflowTaskTimeout: '1 minute',
    typedSearchAttributes: [
      { key: SpcRunIdKey, value: parsed.runId ?? workflowId },
      { key: SpcStatusKey, value: 'preparing' },
      ...(parsed.lads ? [{ key: SpcLadCountKey, value: parsed.lads.length }] : []),
    ],
  });
}

/** The handle of an existing run by its run id (= workflow id). */
export function getRunHandle(client: Client, runId: string): RunHandle {
  return client.workflow.getHandle<typeof spcRun>(runId);
}

/** Pause: no new submissions; the Batch job is disabled with `wait` so running tasks finish. */
export const pauseRun = (handle: RunHandle, request: ControlRequest = {}): Promise<void> => handle.signal(pauseSignal, request);
/** Resume a paused run. */
export const resumeRun = (handle: RunHandle, request: ControlRequest = {}): Promise<void> => handle.signal(resumeSignal, request);
/** Cancel by signal: the run terminates its Batch job, cancels its LADs, cleans up per policy and ends `cancelled`. */
export const cancelRun = (handle: RunHandle, request: ControlRequest = {}): Promise<void> => handle.signal(cancelSignal, request);

/**
 * Resizes the run's pool through the `scalePool` update: rejected (with the field named) when sizes are invalid;
 * resolves with the new target once Batch accepted it.
 */
export async function scaleRun(handle: RunHandle, request: ScaleRequest): Promise<PoolTarget> {
  parseOrThrow(ScaleRequestSchema, request, 'scalePool');
  return handle.executeUpdate(scalePoolUpdate, { args: [request] });
}

/** Fire-and-forget variant of {@link scaleRun} (a signal). */
export const scaleRunAsync = (handle: RunHandle, request: ScaleRequest): Promise<void> => handle.signal(scalePoolSignal, request);

/** The run's progress: counts by state, per-LAD state, pool target, audit trail. */
export const getProgress = (handle: RunHandle): Promise<RunProgress> => handle.query(progressQuery);

/** Waits for the run's summary. */
export const getSummary = (handle: RunHandle): Promise<RunSummary> => handle.result();
