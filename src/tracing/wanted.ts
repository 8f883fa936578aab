/** Whether our worker traces: decided from the environment without loading any OpenTelemetry package. */

/**
 * True when an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`),
 * unless `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true` turns tracing off, as in OpenTelemetry's SDKs.
 * (Those SDKs default to OTLP on localhost; we trace only when asked, so a worker never sends spans nowhere.)
 */
export function otlpTracingWanted(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER?.split(',').some((e) => e.trim() === 'none')) return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}
