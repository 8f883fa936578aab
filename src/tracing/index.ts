/**
 * `spc-temporal/tracing`: OpenTelemetry tracing of spc-temporal's workflows, activities and client calls, through
 * `@temporalio/interceptors-opentelemetry`, with `spc.run_id` and `spc.lad` on the spans of our workflows and their
 * activities. Only this entry loads OpenTelemetry (install `@temporalio/interceptors-opentelemetry` and your
 * OpenTelemetry SDK); a worker that does not trace never imports it.
 *
 * The interceptors pass span contexts through the process's global OpenTelemetry context manager and propagator:
 * register your tracer provider first (`NodeSDK.start()`, or `NodeTracerProvider.register()`), and give the same
 * span processor here, through which workflow spans (made inside the workflow sandbox) are exported.
 *
 * @example
 * ```ts
 * import { NodeTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-node';
 * import { createSpcTracing } from 'spc-temporal/tracing';
 *
 * const spanProcessor = new BatchSpanProcessor(exporter);
 * const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
 * provider.register();
 * const tracing = createSpcTracing({ resource, spanProcessor });
 * const worker = await Worker.create({ ...options, plugins: [new SpcPlugin({ config, tracing })] });
 * const client = await connectClient(config, process.env, { tracing });
 * ```
 */
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  OpenTelemetryPlugin,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetryPluginOptions,
  type OpenTelemetryWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { BundleOptions, InjectedSink, ReplayWorkerOptions, WorkerOptions } from '@temporalio/worker';
import { labelWorkflowSpans, spcSpanAttributesInterceptors } from './span-attributes';
import type { SpcTracing } from './types';

export { spcSpanAttributes } from './span-attributes';
export { SPC_LAD_ATTR, SPC_RUN_ID_ATTR, type SpcClientTracing, type SpcTracing } from './types';

/** Where spans go: the span processor of your tracer provider, the resource of the worker, and optionally a tracer. */
export type SpcTracingOptions = OpenTelemetryPluginOptions;

class OpenTelemetrySpcTracing implements SpcTracing {
  readonly clientInterceptors: WorkflowClientInterceptor[];
  private readonly otel: OpenTelemetryPlugin;

  constructor(options: SpcTracingOptions) {
    this.otel = new OpenTelemetryPlugin(options);
    this.clientInterceptors = [new OpenTelemetryWorkflowClientInterceptor(options.tracer ? { tracer: options.tracer } : {})];
  }

  configureWorker(options: WorkerOptions): WorkerOptions {
    const traced = withLabelledSpans(this.otel.configureWorker(options));
    // After OpenTelemetry's interceptor, so ours runs inside its span and can label it.
    return { ...traced, interceptors: { ...traced.interceptors, activity: [...(traced.interceptors?.activity ?? []), spcSpanAttributesInterceptors] } };
  }

  configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    return withLabelledSpans(this.otel.configureReplayWorker(options));
  }

  configureBundler(options: BundleOptions): BundleOptions {
    return this.otel.configureBundler(options);
  }
}

/** The options with OpenTelemetry's `exporter` sink (the one it just added) labelling our workflows' spans. */
function withLabelledSpans<T extends Pick<WorkerOptions, 'sinks'>>(options: T): T {
  const exporter = options.sinks?.exporter as InjectedSink<OpenTelemetryWorkflowExporter> | undefined;
  return exporter ? { ...options, sinks: { ...options.sinks, exporter: labelWorkflowSpans(exporter) } } : options;
}

/**
 * Tracing for `new SpcPlugin({ tracing })` and `connectClient(config, env, { tracing })`.
 * @param options the span processor and resource workflow spans are exported with (and an optional tracer for the
 *   other spans; the global tracer provider's otherwise)
 */
export function createSpcTracing(options: SpcTracingOptions): SpcTracing {
  return new OpenTelemetrySpcTracing(options);
}
