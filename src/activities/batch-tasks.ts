/**
 * awaitLadTask: one attempt of a LAD. Submits its Batch task idempotently (task id from LAD and attempt; a
 * TaskExists of that id is ours), then waits on the worker's shared poller, heartbeating on every poll, and on
 * failure reads the tail of stderr.txt. Retried (worker died, throttling), it resumes from its heartbeat details
 * instead of submitting again.
 */
import { activityInfo, Context, log } from '@temporalio/activity';
import type { BatchServiceClient, BatchServiceModels } from '@azure/batch';
import type { BlobServiceClient } from '@azure/storage-blob';
import { recipeTask, type TaskInputFile } from '../recipes';
import type { LadAttempt } from '../schemas/lad';
import { taskIdOf, INPUTS_PREFIX } from '../schemas/names';
import type { Recipe } from '../schemas/run-input';
import { batchSignal } from './clients';
import { codeOf, mapped, statusOf, toFailure } from './errors';
import { readUrl, writeUrl } from './sas';
import type { TaskPoller, TaskSnapshot } from './task-poller';

export interface AwaitLadTaskRequest {
  runId: string;
  lad: string;
  attempt: number;
  jobId: string;
  container: string;
  recipe: Recipe;
  /** Wall clock of the task, ms (Batch kills it after). */
  taskMs: number;
  pollIntervalMs: number;
}

/** Heartbeat details: where a retried attempt resumes. */
export interface AwaitProgress {
  taskId: string;
  state: string;
  polledAt: string;
}

/** Bytes of stderr kept for the summary and manifest. */
export const STDERR_TAIL_CHARS = 2000;
/** Polls a submitted task may be absent from its job's listing before it is submitted again. */
const ABSENT_POLLS_BEFORE_RESUBMIT = 3;

export interface BatchTaskDeps {
  batch: BatchServiceClient;
  blobs: BlobServiceClient;
  poller: TaskPoller;
  env: Record<string, string | undefined>;
}

export function createBatchTaskActivities(deps: BatchTaskDeps) {
  return {
    /** Submits (idempotently) and awaits one attempt of a LAD; returns its outcome, never throws for a task failure. */
    async awaitLadTask(req: AwaitLadTaskRequest): Promise<LadAttempt> {
      const ctx = Context.current();
      const taskId = taskIdOf(req.lad, req.attempt);
      const resumed = activityInfo().heartbeatDetails as AwaitProgress | undefined;
      const knownToBatch = resumed?.taskId === taskId && resumed.state !== 'unknown';
      if (!knownToBatch) await submitTask(deps, req, taskId, ctx);
      ctx.heartbeat({ taskId, state: knownToBatch ? resumed.state : 'submitted', polledAt: new Date().toISOString() } satisfies AwaitProgress);
      const task = await waitForCompletion(deps, req, taskId, ctx);
      const attempt = attemptOf(req.attempt, task);
      if (attempt.outcome === 'failure') {
        attempt.stderrTail = await readStderrTail(deps.batch, req.jobId, taskId);
        log.warn('lad attempt failed', { runId: req.runId, lad: req.lad, taskId, exitCode: attempt.exitCode, failureCode: attempt.failureCode });
      }
      return attempt;
    },
  };
}

/** Adds the task; `TaskExists` for our derived id means an earlier try of this activity already added it. */
async function submitTask(deps: BatchTaskDeps, req: AwaitLadTaskRequest, taskId: string, ctx: Context): Promise<void> {
  const spec = recipeTask(req.recipe, req.lad, req.attempt);
  // Inputs must stay readable until the task starts (it may queue for a long time), outputs until it ends.
  const validityMs = req.taskMs + 2 * 86_400_000;
  const resourceFiles = await resourceFilesOf(deps.blobs, req.container, spec.inputFiles, validityMs);
  const task: BatchServiceModels.TaskAddParameter = {
    id: taskId,
    displayName: `${req.runId} ${req.lad} attempt ${req.attempt}`,
    commandLine: spec.commandLine,
    resourceFiles,
    outputFiles: [
      {
        filePattern: spec.outputPattern,
        destination: { container: { containerUrl: await writeUrl(deps.blobs, req.container, validityMs), path: req.lad } },
        uploadOptions: { uploadCondition: 'tasksuccess' },
      },
    ],
    environmentSettings: [
      { name: 'SPC_RUN_ID', value: req.runId },
      { name: 'SPC_LAD', value: req.lad },
      ...spec.secretEnvironment.map((name) => ({ name, value: deps.env[name] ?? '' })),
    ],
    constraints: { maxWallClockTime: `PT${Math.ceil(req.taskMs / 1000)}S`, maxTaskRetryCount: 0 },
  };
  try {
    await deps.batch.task.add(req.jobId, task, { abortSignal: batchSignal(ctx.cancellationSignal) });
    ctx.log.info('lad submitted', { runId: req.runId, lad: req.lad, taskId });
  } catch (err) {
    if (statusOf(err) === 409 && codeOf(err) === 'TaskExists') return;
    throw toFailure(err, `task add ${taskId}`);
  }
}

/** Resource files with SAS URLs minted here, never returned to the workflow. */
export async function resourceFilesOf(
  blobs: BlobServiceClient,
  container: string,
  files: readonly TaskInputFile[],
  validityMs: number,
): Promise<BatchServiceModels.ResourceFile[]> {
  return Promise.all(
    files.map(async (f) => {
      const [c, b] = f.source.kind === 'run-input' ? [container, `${INPUTS_PREFIX}${f.source.blobName}`] : [f.source.container, f.source.blob];
      return { httpUrl: await readUrl(blobs, c, b, validityMs), filePath: f.filePath };
    }),
  );
}

/**
 * Waits on the shared poller until the task completes; heartbeats every poll; resubmits a task that vanished.
 * The poller's callbacks run outside this activity's async context, hence the explicit `ctx`.
 */
function waitForCompletion(deps: BatchTaskDeps, req: AwaitLadTaskRequest, taskId: string, ctx: Context): Promise<TaskSnapshot> {
  return new Promise<TaskSnapshot>((resolve, reject) => {
    let absent = 0;
    let resubmitting = false;
    const stop = deps.poller.watch(req.jobId, taskId, req.pollIntervalMs, (event) => {
      const polledAt = new Date().toISOString();
      if (event.kind === 'seen') {
        absent = 0;
        ctx.heartbeat({ taskId, state: event.task.state, polledAt } satisfies AwaitProgress);
        if (event.task.state === 'completed') settle(() => resolve(event.task));
      } else if (event.kind === 'absent') {
        ctx.heartbeat({ taskId, state: 'unknown', polledAt } satisfies AwaitProgress);
        if (++absent >= ABSENT_POLLS_BEFORE_RESUBMIT && !resubmitting) {
          resubmitting = true;
          log.warn('task missing from its job; submitting it again', { lad: req.lad, taskId });
          submitTask(deps, req, taskId, ctx).then(
            () => ((absent = 0), (resubmitting = false)),
            (err: unknown) => settle(() => reject(err)),
          );
        }
      } else if (event.kind === 'unavailable') {
        // Batch is throttling or down: the worker is still alive, so keep heartbeating and keep waiting.
        ctx.heartbeat({ taskId, state: 'unknown', polledAt } satisfies AwaitProgress);
      } else {
        settle(() => reject(toFailure(event.error, `task list of job ${req.jobId}`)));
      }
    });
    let settled = false;
    function settle(fn: () => void): void {
      if (settled) return;
      settled = true;
      stop();
      fn();
    }
    ctx.cancelled.catch((err: unknown) => settle(() => reject(err)));
  });
}

/** The attempt record of a completed task: success only with exit code 0 and no failure info. */
export function attemptOf(attempt: number, task: TaskSnapshot): LadAttempt {
  const ok = task.exitCode === 0 && task.result !== 'failure' && !task.failureCode;
  const durationMs = task.startTime && task.endTime ? Date.parse(task.endTime) - Date.parse(task.startTime) : undefined;
  return {
    attempt,
    taskId: task.id,
    outcome: ok ? 'success' : 'failure',
    ...(task.nodeId && { nodeId: task.nodeId }),
    ...(task.startTime && { startTime: task.startTime }),
    ...(task.endTime && { endTime: task.endTime }),
    ...(durationMs !== undefined && { durationMs }),
    ...(task.exitCode !== undefined && { exitCode: task.exitCode }),
    ...(task.failureCode && { failureCode: task.failureCode }),
  };
}

/** The last {@link STDERR_TAIL_CHARS} characters of the task's stderr.txt; a note if it cannot be read. */
export async function readStderrTail(batch: BatchServiceClient, jobId: string, taskId: string): Promise<string> {
  try {
    const response = await mapped(`stderr of ${taskId}`, () =>
      batch.file.getFromTask(jobId, taskId, 'stderr.txt', { abortSignal: batchSignal(Context.current().cancellationSignal, 30_000) }),
    );
    const chunks: Buffer[] = [];
    for await (const chunk of response.readableStreamBody ?? []) chunks.push(Buffer.from(chunk as Buffer));
    const text = Buffer.concat(chunks).toString('utf8');
    return text.slice(-STDERR_TAIL_CHARS);
  } catch (err) {
    return `(stderr unavailable: ${(err as Error).message})`;
  }
}
