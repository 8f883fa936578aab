/**
 * spc-temporal's package entry (`spc-temporal`): the worker plugin and the client API. The workflow functions are
 * `spc-temporal/workflows` (re-export them from your own workflows file) and the input types `spc-temporal/schemas`.
 *
 * @example
 * ```ts
 * import { SpcPlugin, connectClient, loadConfig, startSpcRun } from 'spc-temporal';
 * ```
 */
export * from './client';
export { SPC_MAX_CONCURRENT_ACTIVITIES, SPC_WORKFLOWS_PATH, SpcPlugin, createSpcWorker, type SpcPluginOptions } from './plugin';
export type { SpcClientTracing, SpcTracing } from './tracing/types';
export { loadConfig, loadStackSettings, loadTemporal, temporalConnectionOptions, TEMPORAL_ALIASES, type TemporalConnection, type TemporalConnectionOptions } from './config';
export { installQuietRuntime, installRuntime, type RuntimeSetup } from './runtime';
export type { Config, StackSettings } from './schemas/config';
export type * from './schemas';
export { cancelSignal, pauseSignal, progressQuery, resumeSignal, scalePoolSignal, scalePoolUpdate } from './workflows/messages';
