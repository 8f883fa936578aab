/**
 * Tracing for our own worker (src/worker.ts), switched on by the standard OpenTelemetry variables: spans go by
 * OTLP over HTTP to `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` (the exporter reads
 * these, `OTEL_EXPORTER_OTLP_HEADERS` and the rest itself), batched per `OTEL_BSP_*`, named by `OTEL_SERVICE_NAME`
 * (default `spc-worker`) and `OTEL_RESOURCE_ATTRIBUTES`. Loaded only when {@link otlpTracingWanted} says so.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createSpcTracing } from './index';
import type { SpcTracing } from './types';

export interface OtlpTracing {
  tracing: SpcTracing;
  /** Exports the spans still batched and stops the provider (call when the worker has stopped). */
  shutdown(): Promise<void>;
}

/**
 * Registers a global tracer provider (with its async-hooks context manager and the W3C propagator, which the
 * interceptors need to link spans across client, workflow and activity) exporting by OTLP, and the tracing built on
 * its span processor.
 */
export function startOtlpTracing(): OtlpTracing {
  const resource = Resource.default().merge(new Resource({ 'service.name': 'spc-worker' })).merge(envDetectorSync.detect());
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return { tracing: createSpcTracing({ resource, spanProcessor }), shutdown: () => provider.shutdown() };
}
