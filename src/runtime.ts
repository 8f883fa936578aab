/** The process's Temporal runtime: the SDK's log level and the Prometheus metrics endpoint, installed once per process. */
import { DefaultLogger, Runtime } from '@temporalio/worker';

let installed = false;

/** Bucket bounds of our task-duration histogram, in seconds (a LAD takes from seconds offline to hours on Azure). */
export const TASK_DURATION_BUCKETS_S = [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14_400, 28_800];

export interface RuntimeSetup {
  /** The SDK's own log level. @default "WARN" */
  logLevel?: 'WARN' | 'INFO' | 'DEBUG';
  /** host:port of the Prometheus endpoint (`GET /metrics`); unset, empty or "off" for none. */
  metricsAddress?: string;
}

/**
 * Installs the process's Temporal runtime once: the SDK's logs at WARN (bundling and worker-state chatter drowns
 * progress output) and, when an address is given, a Prometheus endpoint serving the SDK's metrics and ours
 * (spc_lads_*, spc_batch_requests, spc_task_duration_seconds). Must run before the first Worker or
 * NativeConnection of the process; later calls do nothing.
 */
export function installRuntime(setup: RuntimeSetup = {}): void {
  if (installed) return;
  installed = true;
  const address = setup.metricsAddress && setup.metricsAddress !== 'off' ? setup.metricsAddress : undefined;
  Runtime.install({
    logger: new DefaultLogger(setup.logLevel ?? 'WARN'),
    ...(address && {
      telemetryOptions: {
        metrics: { prometheus: { bindAddress: address, histogramBucketOverrides: { spc_task_duration_seconds: TASK_DURATION_BUCKETS_S } } },
      },
    }),
  });
}

/** {@link installRuntime} without metrics (tests, the main job). */
export function installQuietRuntime(level: 'WARN' | 'INFO' | 'DEBUG' = 'WARN'): void {
  installRuntime({ logLevel: level });
}
