/**
 * awaitLadTask: one attempt of a LAD. Submits its Batch task idempotently (task id from LAD and attempt; a
 * TaskExists of that id is ours) once the pool has room, then waits on the worker's shared poller, heartbeating on
 * its own clock, and on failure reads the (scrubbed) tail of stderr.txt. Retried (worker died, throttling), it
 * resumes from its heartbeat details instead of submitting again.
 */
import { activityInfo, ApplicationFailure, Context, log } from '@temporalio/activity';
import type { BatchServiceClient, BatchServiceModels } from '@azure/batch';
import type { BlobServiceClient } from '@azure/storage-blob';
import { recipeTask, type TaskInputFile } from '../recipes';
import type { LadAttempt } from '../schemas/lad';
import { checkLadFolder, type LadOutputsCheck } from './lad-outputs';
import type { ExpectedFiles } from './finalize/verify-outputs';
import { taskIdOf, INPUTS_PREFIX } from '../schemas/names';
import type { Recipe } from '../schemas/run-input';
import { batchSignal } from './clients';
import { clearLadFolder } from './lad-folder';
import { BATCH_AUTH, BATCH_AUTH_MIDRUN, codeOf, mapped, messageOf, statusOf, toFailure } from './errors';
import type { Scrubber } from './scrub';
import { PROVENANCE_FOLDER, provenancePrefixOf } from '../outputs/provenance';
import { outputContainer, readUrl } from './sas';
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
  /** Place in the run's start order: a waiting task of lower rank is added first (task-poller.ts). */
  rank?: number;
  /** Given (since 0.2), a successful task's outputs are verified here, saving the LAD an activity round-trip. */
  expectedFiles?: ExpectedFiles;
}

/** An attempt's outcome, with its outputs' check when the request asked for one and the task succeeded. */
export type AwaitedAttempt = LadAttempt & { outputs?: LadOutputsCheck };

/** Heartbeat details: where a retried attempt resumes. */
export interface AwaitProgress {
  taskId: string;
  state: string;
  polledAt: string;
  /** Distinct start times of the task seen so far: more than one means Batch requeued it (Spot eviction, node loss). */
  starts?: string[];
}

/** Start times remembered per task (a task requeued more often still counts right up to this many). */
const MAX_STARTS_KEPT = 50;

/** Bytes of stderr kept for the summary and manifest. */
export const STDERR_TAIL_CHARS = 2000;
/** Polls a submitted task may be absent from its job's listing before it is submitted again. */
const ABSENT_POLLS_BEFORE_RESUBMIT = 3;

export interface BatchTaskDeps {
  batch: BatchServiceClient;
  blobs: BlobServiceClient;
  poller: TaskPoller;
  env: Record<string, string | undefined>;
  /** Removes secrets from text we store (stderr tails). */
  scrub: Scrubber;
  /** How long task SAS URLs outlive the task's wall clock, ms. */
  taskSasMarginMs: number;
  /** Pool identity (ARM resource id) that uploads outputs instead of a write SAS (SPC_POOL_OUTPUT_IDENTITY). */
  outputIdentity?: string;
}

export function createBatchTaskActivities(deps: BatchTaskDeps) {
  return {
    /**
     * Submits (idempotently, once the pool has room) and awaits one attempt of a LAD; returns its outcome, never
     * throws for a task failure. Cancelled (the LAD or the run was cancelled, or its workflow is gone), it
     * terminates its Batch task before it ends.
     */
    async awaitLadTask(req: AwaitLadTaskRequest): Promise<AwaitedAttempt> {
      const ctx = Context.current();
      const taskId = taskIdOf(req.lad, req.attempt);
      const resumed = activityInfo().heartbeatDetails as AwaitProgress | undefined;
      const knownToBatch = resumed?.taskId === taskId && resumed.state !== 'unknown' && resumed.state !== 'waiting-for-room';
      const progress: AwaitProgress = {
        taskId,
        state: knownToBatch ? resumed.state : 'waiting-for-room',
        polledAt: new Date().toISOString(),
        ...(knownToBatch && resumed.starts && { starts: resumed.starts }),
      };
      const beat = startHeartbeats(ctx, progress);
      try {
        if (!knownToBatch) await submitWhenRoom(deps, req, taskId, ctx, progress);
        const task = await waitForCompletion(deps, req, taskId, ctx, progress);
        const attempt = attemptOf(req.attempt, task, progress.starts);
        if (attempt.outcome === 'failure') {
          attempt.stderrTail = deps.scrub(await readStderrTail(deps.batch, req.jobId, taskId));
          log.warn('lad attempt failed', { runId: req.runId, lad: req.lad, taskId, exitCode: attempt.exitCode, failureCode: attempt.failureCode });
        }
        // A retry after a failed check resumes at the completed task (heartbeat) and checks again.
        if (attempt.outcome === 'success' && req.expectedFiles) return { ...attempt, outputs: await checkLadFolder(deps.blobs, { container: req.container, lad: req.lad, expectedFiles: req.expectedFiles }) };
        return attempt;
      } catch (err) {
        if (ctx.cancellationSignal.aborted) await terminateTask(deps.batch, req.jobId, taskId);
        throw err;
      } finally {
        beat.stop();
      }
    },

    /** Terminates every unfinished task of a LAD (its child was cancelled or terminated on its own). */
    async terminateLadTasks({ jobId, lad }: { jobId: string; lad: string }): Promise<string[]> {
      const prefix = `${lad}-a`;
      const ids: string[] = [];
      try {
        let page = await deps.batch.task.list(jobId, { taskListOptions: { filter: `startswith(id,'${prefix}')`, select: 'id,state' }, abortSignal: batchSignal(Context.current().cancellationSignal) });
        for (;;) {
          for (const t of page) if (t.id && String(t.state).toLowerCase() !== 'completed') ids.push(t.id);
          if (!page.odatanextLink) break;
          page = await deps.batch.task.listNext(page.odatanextLink, { abortSignal: batchSignal(Context.current().cancellationSignal) });
        }
      } catch (err) {
        if (statusOf(err) === 404) return [];
        throw toFailure(err, `task list of ${lad} in ${jobId}`);
      }
      await Promise.all(ids.map((id) => terminateTask(deps.batch, jobId, id)));
      if (ids.length) log.info('lad tasks terminated', { jobId, lad, tasks: ids });
      return ids;
    },
  };
}

/**
 * Heartbeats on their own clock (a third of the heartbeat timeout), with the latest progress: slow or throttled
 * polls (a Retry-After of minutes, a 10-page listing) never time out a live attempt. Heartbeats also carry
 * cancellation to us: a cancelled LAD, or one whose workflow was terminated, hears it here.
 */
function startHeartbeats(ctx: Context, progress: AwaitProgress): { stop(): void } {
  const everyMs = Math.max(500, Math.floor((activityInfo().heartbeatTimeoutMs ?? 30_000) / 3));
  const beat = () => ctx.heartbeat({ ...progress } satisfies AwaitProgress);
  beat();
  const timer = setInterval(beat, everyMs);
  return { stop: () => clearInterval(timer) };
}

/**
 * Adds the task once the pool has room for it (capacity-shaped submission, task-poller.ts). A later attempt first
 * clears the LAD's folder, so its verified files all come from one attempt; a retried activity whose task already
 * exists leaves the folder as it is (that task's outputs may be in it).
 */
async function submitWhenRoom(deps: BatchTaskDeps, req: AwaitLadTaskRequest, taskId: string, ctx: Context, progress: AwaitProgress): Promise<void> {
  const added = await deps.poller.admit(req.jobId, req.pollIntervalMs, ctx.cancellationSignal, req.rank);
  try {
    if (req.attempt > 1 && !(await taskExists(deps.batch, req.jobId, taskId))) {
      const removed = await clearLadFolder(deps.blobs, req.container, req.lad);
      if (removed) log.info('earlier attempt outputs cleared', { runId: req.runId, lad: req.lad, removed });
    }
    await submitTask(deps, req, taskId, ctx);
    progress.state = 'submitted';
    added(true);
  } catch (err) {
    added(false);
    throw err;
  }
}

/** Adds the task; `TaskExists` for our derived id means an earlier try of this activity already added it. */
async function submitTask(deps: BatchTaskDeps, req: AwaitLadTaskRequest, taskId: string, ctx: Context): Promise<void> {
  const spec = recipeTask(req.recipe, req.lad, req.attempt);
  // Minted now, at submission: inputs must stay readable until the task starts (it queues briefly: tasks are added
  // as the pool has room) and outputs writable until it ends, a Spot requeue included.
  const validityMs = req.taskMs + deps.taskSasMarginMs;
  const resourceFiles = await resourceFilesOf(deps.blobs, req.container, spec.inputFiles, validityMs);
  const container = await outputContainer(deps.blobs, req.container, validityMs, deps.outputIdentity);
  const task: BatchServiceModels.TaskAddParameter = {
    id: taskId,
    displayName: `${req.runId} ${req.lad} attempt ${req.attempt}`,
    commandLine: spec.commandLine,
    resourceFiles,
    outputFiles: [
      { filePattern: spec.outputPattern, destination: { container: { ...container, path: req.lad } }, uploadOptions: { uploadCondition: 'tasksuccess' } },
      // What the task says it ran (installed commits, interpreter): finalize records each distinct one in the manifest.
      { filePattern: `${PROVENANCE_FOLDER}/*`, destination: { container: { ...container, path: provenancePrefixOf(req.lad) } }, uploadOptions: { uploadCondition: 'tasksuccess' } },
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
    throw midRunFailure(err, `task add ${taskId}`);
  }
}

async function taskExists(batch: BatchServiceClient, jobId: string, taskId: string): Promise<boolean> {
  try {
    await batch.task.get(jobId, taskId, { taskGetOptions: { select: 'id' }, abortSignal: batchSignal(Context.current().cancellationSignal) });
    return true;
  } catch (err) {
    if (statusOf(err) === 404 && codeOf(err) === 'TaskNotFound') return false;
    throw midRunFailure(err, `task get ${taskId}`);
  }
}

/** As {@link toFailure}, but a credential refused mid-run is retried (see {@link BATCH_AUTH_MIDRUN}). */
function midRunFailure(err: unknown, what: string): ApplicationFailure {
  const failure = toFailure(err, what);
  return failure.type === BATCH_AUTH ? ApplicationFailure.retryable(failure.message, BATCH_AUTH_MIDRUN) : failure;
}

/** Best effort: a task that is gone or already completed is fine. Not tied to the (cancelled) activity's signal. */
async function terminateTask(batch: BatchServiceClient, jobId: string, taskId: string): Promise<void> {
  try {
    await batch.task.terminate(jobId, taskId, { abortSignal: batchSignal(undefined, 15_000) });
    log.info('task terminated', { jobId, taskId });
  } catch (err) {
    if (statusOf(err) !== 404 && statusOf(err) !== 409) log.warn('task terminate failed', { jobId, taskId, error: messageOf(err) });
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
 * Waits on the shared poller until the task completes, keeping `progress` (what the heartbeats report) current;
 * resubmits a task that vanished. The poller's callbacks run outside this activity's async context, hence `ctx`.
 */
function waitForCompletion(deps: BatchTaskDeps, req: AwaitLadTaskRequest, taskId: string, ctx: Context, progress: AwaitProgress): Promise<TaskSnapshot> {
  return new Promise<TaskSnapshot>((resolve, reject) => {
    let absent = 0;
    let resubmitting = false;
    const stop = deps.poller.watch(req.jobId, taskId, req.pollIntervalMs, (event) => {
      progress.polledAt = new Date().toISOString();
      if (event.kind === 'seen') {
        absent = 0;
        progress.state = event.task.state;
        noteStart(progress, event.task.startTime);
        if (event.task.state === 'completed') settle(() => resolve(event.task));
      } else if (event.kind === 'absent') {
        progress.state = 'unknown';
        if (++absent >= ABSENT_POLLS_BEFORE_RESUBMIT && !resubmitting) {
          resubmitting = true;
          log.warn('task missing from its job; submitting it again', { lad: req.lad, taskId });
          submitTask(deps, req, taskId, ctx).then(
            () => ((absent = 0), (resubmitting = false)),
            (err: unknown) => settle(() => reject(err)),
          );
        }
      } else if (event.kind === 'fatal') {
        settle(() => reject(toFailure(event.error, `task list of job ${req.jobId}`)));
      }
      // 'unavailable': Batch is throttling or down; the worker is alive and the heartbeats say so. Keep waiting.
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

/**
 * Remembers a start time of the task. Batch counts neither a Spot eviction nor a lost node in the task (no retry,
 * no requeue count): a task that runs again shows a new `executionInfo.startTime`, which is how it is seen here.
 */
function noteStart(progress: AwaitProgress, startTime: string | undefined): void {
  if (!startTime) return;
  const starts = (progress.starts ??= []);
  if (!starts.includes(startTime) && starts.length < MAX_STARTS_KEPT) starts.push(startTime);
}

/**
 * The attempt record of a completed task: success only with exit code 0 and no failure info. `starts`: the start
 * times seen while it was awaited, each beyond the first a preemption (the task requeued and run again).
 */
export function attemptOf(attempt: number, task: TaskSnapshot, starts: readonly string[] = []): LadAttempt {
  const preemptions = new Set([...starts, ...(task.startTime ? [task.startTime] : [])]).size - 1;
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
    ...(preemptions > 0 && { preemptions }),
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
