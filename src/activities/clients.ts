/** Abort signals for the activities' Azure calls. The clients themselves are built in `../azure/clients`. */

/** An abort signal that fires on activity cancellation or after `timeoutMs`, for every Azure call. */
export function callSignal(cancel: AbortSignal | undefined, timeoutMs = 60_000): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return cancel ? AbortSignal.any([cancel, timeout]) : timeout;
}

/** The abort signal type of @azure/batch (ms-rest-js's AbortSignalLike; a Node AbortSignal at run time). */
export type BatchAbortSignal = NonNullable<import('@azure/batch').BatchServiceModels.TaskAddOptionalParams['abortSignal']>;

/** {@link callSignal} typed for @azure/batch calls. */
export const batchSignal = (cancel: AbortSignal | undefined, timeoutMs = 60_000): BatchAbortSignal =>
  callSignal(cancel, timeoutMs) as unknown as BatchAbortSignal;
