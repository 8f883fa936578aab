/** Activity timeouts and retry policies shared by the workflows (why each number, next to it). */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/** Error types no retry can fix: bad input, authentication, Batch 400/403/404, a job that is gone. */
export const NON_RETRYABLE_ERROR_TYPES = ['InvalidInputError', 'BatchAuthError', 'BatchRequestError', 'JobGoneError', 'BatchQuotaError', 'BatchJobQuotaReached'];

/**
 * Short control-plane calls (prepare, pause, resize, terminate). Throttling (429/503) and 5xx are retried here,
 * by Temporal, with Retry-After as the next delay: the Batch SDK's own retries are switched off.
 */
export const controlActivityOptions: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
};

/**
 * A short write from the workflow's own worker (a LAD's record): a local activity, one marker event in the history
 * instead of an activity's three, which keeps a LAD's child within its event budget.
 */
export const recordActivityOptions: LocalActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
};

/** Finalize lists, hashes and copies every output: allow time, and heartbeat so a dead worker is noticed. */
export const finalizeActivityOptions: ActivityOptions = {
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
};

/**
 * The awaiting activity of a LAD: alive for as long as its task queues and runs (bounded by the run timeout),
 * heartbeating on every shared poll so a dead worker is noticed after `heartbeatMs`.
 */
export function awaitActivityOptions(heartbeatMs: number, runMs: number): ActivityOptions {
  return {
    startToCloseTimeout: runMs,
    heartbeatTimeout: heartbeatMs,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 100, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
  };
}
