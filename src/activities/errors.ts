/**
 * Errors an activity caller can act on, as Temporal `ApplicationFailure` types. Permanent ones are listed in the
 * workflows' `nonRetryableErrorTypes`; everything else is retried by Temporal (the Azure SDKs' own retries are
 * off), with the service's Retry-After as the next delay when it sends one.
 */
import { ApplicationFailure } from '@temporalio/activity';

/** Input no retry can fix (bad LAD list, missing input file). Message names the field and value. */
export const INVALID_INPUT = 'InvalidInputError';
/** Batch rejected our credentials (401/403). */
export const BATCH_AUTH = 'BatchAuthError';
/**
 * Batch refused credentials mid-run, after the run was prepared with them: a key mid-rotation, a token refreshed
 * late, a skewed clock. Retried: the shared poller turns a refusal that persists into {@link BATCH_AUTH}.
 */
export const BATCH_AUTH_MIDRUN = 'BatchAuthMidRunError';
/** Batch rejected the request itself (400/404 other than the expected ones). */
export const BATCH_REQUEST = 'BatchRequestError';
/** The run's job is terminated, completed or deleted: nothing more can be submitted to it. */
export const JOB_GONE = 'JobGoneError';
/** Throttling, 5xx, timeouts, network errors: retried. */
export const BATCH_TRANSIENT = 'BatchTransientError';
/** A submitted task vanished from its job (e.g. the Batch service lost it): retried, which resubmits it. */
export const TASK_MISSING = 'TaskMissingError';

/** An account quota no retry soon can fix (pools per account): the message names it and how to raise it. */
export const BATCH_QUOTA = 'BatchQuotaError';
/**
 * The account's active jobs and job schedules are at their quota: the run waits (a durable timer in the workflow)
 * and tries again, since other runs' jobs end.
 */
export const BATCH_JOB_QUOTA = 'BatchJobQuotaReached';

/** How to raise a Batch account quota, for the messages. */
const RAISE_QUOTA = 'raise it in the Azure portal (Batch account > Quotas > Request quota increase) or free some';

export function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, INVALID_INPUT);
}

/** What we read from an Azure SDK error (ms-rest-js RestError or core RestError). */
export interface RestErrorLike {
  statusCode?: number;
  code?: string;
  message?: unknown;
  response?: { headers?: { get(name: string): string | undefined | null } };
}

export const statusOf = (err: unknown): number | undefined => (err as RestErrorLike | undefined)?.statusCode;
export const codeOf = (err: unknown): string | undefined => (err as RestErrorLike | undefined)?.code;

/** Batch errors carry `message` as `{lang, value}`; storage errors as a string. Never includes request URLs. */
export function messageOf(err: unknown): string {
  const message = (err as RestErrorLike | undefined)?.message;
  if (typeof message === 'string') return message.split('\n')[0];
  if (message && typeof message === 'object' && 'value' in message) return String((message as { value: unknown }).value).split('\n')[0];
  return String(err);
}

/**
 * Why Batch refused our credentials (`AuthenticationErrorDetail` of a 401/403 body), e.g. a token's wrong audience:
 * the one part of the answer that says what to fix.
 */
export function authDetailOf(err: unknown): string | undefined {
  const values = (err as { body?: { values?: { key?: string; value?: string }[] } } | undefined)?.body?.values;
  return values?.find((v) => v.key === 'AuthenticationErrorDetail')?.value;
}

/** Retry-After of a 429/503 in milliseconds (seconds or an HTTP date), if any. */
export function retryAfterMs(err: unknown, nowMs = Date.now()): number | undefined {
  const value = (err as RestErrorLike | undefined)?.response?.headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

/** True for failures worth retrying: throttling, 408, 5xx, and network errors without a status. */
export function isTransient(err: unknown): boolean {
  const status = statusOf(err);
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

/**
 * Maps an Azure error to an ApplicationFailure: 401/403 permanent (auth), 400/404 permanent (request), 409 of a
 * finished job permanent, throttling/5xx/network retryable with Retry-After as the next delay.
 * @param what the operation, for the message, e.g. `task add E06000001-a1`
 */
export function toFailure(err: unknown, what: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const status = statusOf(err);
  const code = codeOf(err);
  const message = `${what}: ${status ?? 'network'} ${code ?? ''} ${messageOf(err)}`.replace(/\s+/g, ' ').trim();
  // No Entra ID identity is available to the worker (DefaultAzureCredential tried them all): no retry brings one.
  if ((err as Error | undefined)?.name === 'CredentialUnavailableError') {
    return ApplicationFailure.nonRetryable(`${what}: no Entra ID credential: ${messageOf(err)}`, BATCH_AUTH);
  }
  if (status === 401 || status === 403) {
    const detail = authDetailOf(err);
    return ApplicationFailure.nonRetryable(detail ? `${message}: ${detail}` : message, BATCH_AUTH);
  }
  if (code === 'PoolQuotaReached') return ApplicationFailure.nonRetryable(`${what}: the Batch account's pool quota is reached (PoolQuotaReached); ${RAISE_QUOTA} (delete pools no run uses)`, BATCH_QUOTA);
  if (code === 'ActiveJobAndScheduleQuotaReached') {
    return ApplicationFailure.nonRetryable(`${what}: the Batch account's quota of active jobs and job schedules is reached (ActiveJobAndScheduleQuotaReached); ${RAISE_QUOTA} (terminate finished jobs)`, BATCH_JOB_QUOTA);
  }
  if (status === 409 && code && ['JobCompleted', 'JobBeingTerminated', 'JobBeingDeleted', 'JobNotActive'].includes(code)) {
    return ApplicationFailure.nonRetryable(message, JOB_GONE);
  }
  if (status === 404 && code === 'JobNotFound') return ApplicationFailure.nonRetryable(message, JOB_GONE);
  if (status === 400 || status === 404 || status === 413) return ApplicationFailure.nonRetryable(message, BATCH_REQUEST);
  const delay = retryAfterMs(err);
  return ApplicationFailure.create({ message, type: BATCH_TRANSIENT, ...(delay !== undefined && { nextRetryDelay: delay }) });
}

/** Runs `fn`, mapping any Azure error with {@link toFailure}. */
export async function mapped<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFailure(err, what);
  }
}
