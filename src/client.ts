/**
 * Typed client helpers for runs: start, find, control and watch an spcRun. Inputs are validated with the same
 * schema the workflow uses, before anything is started.
 */
import { Client, Connection, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { temporalConnectionOptions } from './config';
import type { Config } from './schemas/config';
import type { ControlRequest, ScaleRequest } from './schemas/control';
import { ScaleRequestSchema } from './schemas/control';
import { parseOrThrow } from './schemas/issues';
import type { PoolTarget, RunProgress } from './schemas/progress';
import type { RawRunInput } from './schemas/run-input';
import type { RunSummary } from './schemas/summary';
import { spcRunStartOptions, type StartSpcRunOptions } from './start-run';
import { cancelSignal, pauseSignal, progressQuery, resumeSignal, scalePoolSignal, scalePoolUpdate } from './workflows/messages';
import type { SpcClientTracing } from './tracing/types';
import type { spcRun } from './workflows/spc-run';

export {
  DEFAULT_TASK_QUEUE,
  defaultRunId,
  SPC_RUN_WORKFLOW_TASK_TIMEOUT,
  SPC_RUN_WORKFLOW_TYPE,
  spcRunScheduleAction,
  spcRunStartOptions,
  type StartSpcRunOptions,
} from './start-run';

/** A handle on a run's spcRun workflow. */
export type RunHandle = WorkflowHandle<typeof spcRun>;

/** Options of {@link connectClient}. */
export interface ConnectClientOptions {
  /**
   * Trace the client's calls (`createSpcTracing` from `spc-temporal/tracing`): `startSpcRun` then starts a span
   * that is the parent of the run's workflow and activity spans.
   * @default undefined (no tracing)
   */
  tracing?: SpcClientTracing;
}

/**
 * Connects a Temporal client to the configured server and namespace, with the TLS, mTLS and API key of the
 * environment's temporal.toml profile and `TEMPORAL_*` variables. Close `client.connection` when done.
 * @example
 * ```ts
 * const client = await connectClient(loadConfig());
 * ```
 */
export async function connectClient(
  config: Pick<Config, 'SPC_TEMPORAL_ADDRESS' | 'SPC_TEMPORAL_NAMESPACE'>,
  env: NodeJS.ProcessEnv = process.env,
  options: ConnectClientOptions = {},
): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(config, env));
  const interceptors = options.tracing && { workflow: options.tracing.clientInterceptors };
  return new Client({ connection, namespace: config.SPC_TEMPORAL_NAMESPACE, ...(interceptors && { interceptors }) });
}

/**
 * Validates `input` (throwing a RangeError that names every bad field, before anything starts) and starts spcRun
 * with the options every entry point shares ({@link spcRunStartOptions}).
 * @returns the run's handle (with the first execution's run id); `await handle.result()` gives the {@link RunSummary}
 * @example
 * ```ts
 * const handle = await startSpcRun(client, { lads: ['E06000001'] }, { workflowId: 'nightly-test', taskQueue: 'spc-run' });
 * ```
 */
export async function startSpcRun(client: Client, input: RawRunInput, options: StartSpcRunOptions = {}): Promise<WorkflowHandleWithFirstExecutionRunId<typeof spcRun>> {
  const { workflowType, options: startOptions } = spcRunStartOptions(input, options);
  return client.workflow.start<typeof spcRun>(workflowType, startOptions);
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
