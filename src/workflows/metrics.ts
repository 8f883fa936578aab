/**
 * Our workflow metrics, on the worker runtime's meter (exported at `GET /metrics` when SPC_METRICS_ADDRESS is set).
 * The SDK drops workflow metrics during replay, so a LAD is counted once however often its workflow replays.
 */
import { metricMeter } from '@temporalio/workflow';

/** A LAD whose outputs passed verification. */
export const countLadCompleted = (): void => metricMeter.createCounter('spc_lads_completed', '1', 'LADs completed with verified outputs').add(1);
/** A LAD that failed for good (all attempts used). */
export const countLadFailed = (): void => metricMeter.createCounter('spc_lads_failed', '1', 'LADs failed after their last attempt').add(1);
/** A failed attempt that will be retried. */
export const countLadRetried = (): void => metricMeter.createCounter('spc_lads_retried', '1', 'LAD attempts retried').add(1);
/** Wall clock of one Batch task (attempt), in seconds. */
export const recordTaskDuration = (ms: number): void =>
  metricMeter.createHistogram('spc_task_duration_seconds', 'float', 's', 'Batch task wall clock per LAD attempt').record(ms / 1000);
