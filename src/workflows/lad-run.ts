/**
 * ladRun: one LAD of a run. Each attempt is one activity that submits the Batch task idempotently and awaits it
 * with heartbeats; a successful task is then verified against the expected outputs. A failed attempt (non-zero
 * exit, or outputs missing) is retried as a new attempt, with a new task id, after a backoff timer.
 * History: 18 events for a LAD that succeeds first time (its result recorded and signalled to the run); 22 for one
 * started by a parent before 0.3, whose patches each add a marker and a search-attribute upsert.
 */
import {
  ApplicationFailure,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SpcActivities } from '../activities';
import type { LadAttempt, LadResult, LadRunInput } from '../schemas/lad';
import { checkLadRunInput } from '../schemas/lad-input-check';
import { taskIdOf } from '../schemas/names';
import { awaitActivityOptions, controlActivityOptions, recordActivityOptions } from './activity-options';
import { ladFinishedSignal, ladRetryingSignal } from './messages';
import { countLadCompleted, countLadFailed, countLadRetried, recordTaskDuration } from './metrics';
import { LAD_RECORD, LAD_VERIFY_IN_AWAIT_AND_REPORT } from './patches';
import { SpcStatusKey } from './search-attributes';

/**
 * Runs one LAD to success or to its last attempt. Never throws for a LAD failure: the result says `failed`. The
 * result is also written to the run's container, where finalize reads it (the parent keeps only a compact record).
 */
export async function ladRun(raw: LadRunInput): Promise<LadResult> {
  // Checked without zod: this workflow is cached by the thousand, and each copy would load zod (lad-input-check.ts).
  const parsed = checkLadRunInput(raw);
  if (!parsed.ok) throw ApplicationFailure.nonRetryable(`invalid ladRun input: ${parsed.message}`, 'InvalidInputError');
  // A version in the input (parents since 0.3; checked >= 1) settles the 0.2 behaviour without patch markers; without
  // one, the patches decide as they did. Short-circuited: a versioned LAD never asks a patch.
  const versioned = parsed.input.version !== undefined;
  const verifyInAwait = versioned || patched(LAD_VERIFY_IN_AWAIT_AND_REPORT);
  const result = await runAttempts(parsed.input, verifyInAwait);
  if (!versioned && !patched(LAD_RECORD)) return result;
  const recorded = await record(parsed.input.container, result);
  if (verifyInAwait) await reportToParent(recorded);
  return recorded;
}

/** Writes the result to the run's container; @returns it marked `recorded`, or as it was when the write failed. */
async function record(container: string, result: LadResult): Promise<LadResult> {
  const { recordLadResult } = proxyLocalActivities<SpcActivities>({ ...recordActivityOptions, summary: `record ${result.lad}'s result in the run's container` });
  try {
    await recordLadResult({ container, result });
  } catch (err) {
    // Unrecorded, the parent keeps the whole result for finalize instead: the LAD's outcome is not lost.
    log.warn('could not record the LAD result in the container', { lad: result.lad, error: (err as Error).message });
    return result;
  }
  return { ...result, recorded: true };
}

/**
 * Signals the result to the parent's workflow id, which reaches its current run even after it continued as new (the
 * completion event only reaches the run that started this child). A closed parent chain has nobody to tell.
 */
async function reportToParent(result: LadResult): Promise<void> {
  const parent = workflowInfo().parent;
  if (!parent) return;
  try {
    await getExternalWorkflowHandle(parent.workflowId).signal(ladFinishedSignal, result);
  } catch (err) {
    log.warn('could not report the LAD result to its run', { lad: result.lad, error: (err as Error).message });
  }
}

/** @param verifyInAwait the awaiting activity verifies the outputs (since 0.2); before, a second activity did */
async function runAttempts(input: LadRunInput, verifyInAwait: boolean): Promise<LadResult> {
  const { awaitLadTask } = proxyActivities<SpcActivities>(awaitActivityOptions(input.timeouts.heartbeatMs, input.timeouts.runMs));
  const { verifyLadOutputs } = proxyActivities<SpcActivities>(controlActivityOptions);

  const attempts: LadAttempt[] = [];
  const lastAttempt = input.firstAttempt + input.retry.maxAttempts - 1;
  for (let attempt = input.firstAttempt; attempt <= lastAttempt; attempt++) {
    const { outputs, ...result } = await awaitLadTask.executeWithOptions({ summary: `${input.lad} attempt ${attempt}: Batch task ${taskIdOf(input.lad, attempt)}` }, [{
      runId: input.runId,
      lad: input.lad,
      attempt,
      jobId: input.jobId,
      container: input.container,
      recipe: input.recipe,
      taskMs: input.timeouts.taskMs,
      pollIntervalMs: input.pollIntervalMs,
      ...(input.rank !== undefined && { rank: input.rank }),
      ...(verifyInAwait && { expectedFiles: input.expectedFiles }),
    }]);
    if (result.durationMs !== undefined) recordTaskDuration(result.durationMs);
    if (result.outcome === 'success') {
      const check = outputs ?? await verifyLadOutputs.executeWithOptions({ summary: `verify ${input.lad}'s outputs (attempt ${attempt})` }, [
        { container: input.container, lad: input.lad, expectedFiles: input.expectedFiles },
      ]);
      if (check.ok) {
        attempts.push(result);
        upsertSearchAttributes([{ key: SpcStatusKey, value: 'succeeded' }]);
        countLadCompleted();
        return { lad: input.lad, status: 'succeeded', attempts, durationMs: spanMs(attempts), fileCount: check.count };
      }
      attempts.push({ ...result, outcome: 'outputs-missing', stderrTail: check.problem });
    } else {
      attempts.push(result);
    }
    if (attempt === lastAttempt) break;
    notifyParentRetrying(input.lad, attempt + 1);
    countLadRetried();
    upsertSearchAttributes([{ key: SpcStatusKey, value: 'retrying' }]);
    // Backoff before the next attempt: a durable timer, so a worker restart does not shorten or repeat it.
    await sleep(input.retry.backoffMs * input.retry.backoffCoefficient ** (attempt - input.firstAttempt), { summary: `backoff before attempt ${attempt + 1} of ${input.lad}` });
  }
  upsertSearchAttributes([{ key: SpcStatusKey, value: 'failed' }]);
  countLadFailed();
  const last = attempts.at(-1);
  return {
    lad: input.lad,
    status: 'failed',
    attempts,
    durationMs: spanMs(attempts),
    error: last?.outcome === 'outputs-missing' ? `outputs missing after ${attempts.length} attempt(s)` : `task failed after ${attempts.length} attempt(s)`,
  };
}

/** Tells the parent (when there is one) that this LAD is retrying; fire and forget, failures only. */
function notifyParentRetrying(lad: string, attempt: number): void {
  const parent = workflowInfo().parent;
  if (!parent) return;
  void getExternalWorkflowHandle(parent.workflowId)
    .signal(ladRetryingSignal, { lad, attempt })
    .catch(() => undefined);
}

/** From the first attempt's start to the last attempt's end, in ms (undefined without times). */
function spanMs(attempts: readonly LadAttempt[]): number | undefined {
  const start = attempts.find((a) => a.startTime)?.startTime;
  const end = [...attempts].reverse().find((a) => a.endTime)?.endTime;
  if (!start || !end) return undefined;
  return Date.parse(end) - Date.parse(start);
}
