/**
 * What SpcPlugin and connectClient take for tracing, typed with Temporal's types only: the OpenTelemetry packages
 * are optional peer dependencies, so nothing a team without them compiles or loads may name their types.
 * Build one with `createSpcTracing` from `spc-temporal/tracing`.
 */
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { BundleOptions, ReplayWorkerOptions, WorkerOptions } from '@temporalio/worker';

/** The client half: interceptors that trace client calls and hand the span's context to the workflow. */
export interface SpcClientTracing {
  /** One span per start, signal, query or update, the parent of the workflow's spans. */
  readonly clientInterceptors: WorkflowClientInterceptor[];
}

/** Tracing of workers and clients (`createSpcTracing`): OpenTelemetry's interceptors plus our span attributes. */
export interface SpcTracing extends SpcClientTracing {
  /** Adds the interceptors and the workflow span sink to the worker's own (never replaces them). */
  configureWorker(options: WorkerOptions): WorkerOptions;
  configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions;
  /** Adds the workflow interceptor module to a bundle built ahead of the worker (`bundleWorkflowCode`). */
  configureBundler(options: BundleOptions): BundleOptions;
}

/** Span attribute keys spc-temporal adds to the spans of its workflows and their activities. */
export const SPC_RUN_ID_ATTR = 'spc.run_id';
export const SPC_LAD_ATTR = 'spc.lad';
