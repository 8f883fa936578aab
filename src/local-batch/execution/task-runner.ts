import * as path from 'node:path';
import type { Attempt, Engine } from '../model/engine';
import { baseEnvironment } from './executor';
import { setNodeState } from '../model/node-state';
import { downloadResourceFiles, TransferError, uploadOutputFiles, type TransferContext } from './transfers';
import { taskKey, type FailureInfo, type NodeRecord, type PoolRecord, type TaskRecord } from '../model/types';
import { isoTime, parseDuration, UNLIMITED_MS } from '../http/wire';
import { makeDirs } from './task-dirs';
import { giveTree, runAs } from './task-users';

/**
 * The life of a task on a node: start, user retries on a non-zero exit (same node, same directory), uploads,
 * completion; and the ways it can be taken off a node (terminate, requeue, preemption, wall-clock expiry).
 */
export const taskEndedByUser: FailureInfo = { category: 'usererror', code: 'TaskEnded', message: 'Task was ended by user request' };
export const taskEndedByWallClock: FailureInfo = {
  category: 'servererror',
  code: 'TaskEnded',
  message: 'Task was ended because it exceeded its maximum wall clock time',
  details: [{ name: 'Reason', value: 'MaxWallClockTimeExpiry' }],
};

function nodeFor(engine: Engine, rec: TaskRecord): { pool: PoolRecord; node: NodeRecord } | undefined {
  const info = rec.wire.nodeInfo;
  if (!info) return undefined;
  const pool = engine.pools.get(info.poolId.toLowerCase());
  const node = pool?.nodes.get(info.nodeId);
  return pool && node ? { pool, node } : undefined;
}

function taskEnv(engine: Engine, rec: TaskRecord, node: NodeRecord, taskDir: string): Record<string, string> {
  const root = engine.nodeRoot(node);
  const env: Record<string, string> = {
    ...baseEnvironment(root),
    AZ_BATCH_ACCOUNT_NAME: engine.options.accountName,
    AZ_BATCH_ACCOUNT_URL: engine.baseUrl,
    AZ_BATCH_POOL_ID: node.poolId,
    AZ_BATCH_JOB_ID: rec.jobId,
    AZ_BATCH_TASK_ID: rec.wire.id,
    AZ_BATCH_NODE_ID: node.id,
    AZ_BATCH_NODE_IS_DEDICATED: String(node.isDedicated),
    AZ_BATCH_NODE_ROOT_DIR: root,
    AZ_BATCH_NODE_SHARED_DIR: path.join(root, 'shared'),
    AZ_BATCH_NODE_STARTUP_DIR: path.join(root, 'startup'),
    AZ_BATCH_NODE_MOUNTS_DIR: path.join(root, 'fsmounts'),
    AZ_BATCH_TASK_DIR: taskDir,
    AZ_BATCH_TASK_WORKING_DIR: path.join(taskDir, 'wd'),
    AZ_BATCH_CERTIFICATES_DIR: path.join(taskDir, 'certs'),
    AZ_BATCH_TASK_RESERVED_EPHEMERAL_DISK_SPACE_BYTES: '0',
  };
  const job = engine.jobs.get(rec.jobId.toLowerCase());
  for (const s of job?.wire.commonEnvironmentSettings ?? []) env[s.name] = s.value ?? '';
  for (const s of rec.wire.environmentSettings ?? []) env[s.name] = s.value ?? '';
  return env;
}

/** What the node's transfers reach storage with: the emulated account and its pool's identities. */
export function transferContext(engine: Engine, node: NodeRecord): TransferContext {
  const identity = engine.pools.get(node.poolId.toLowerCase())?.wire.identity;
  return { storage: engine.options.storage, poolIdentities: identity?.userAssignedIdentities?.map((i) => i.resourceId) };
}

/** Puts an active task on a node (the scheduler checked the slots) and starts its first attempt. */
export function startOnNode(engine: Engine, rec: TaskRecord, pool: PoolRecord, node: NodeRecord): void {
  const key = taskKey(rec.jobId, rec.wire.id);
  node.running.set(key, rec.wire.requiredSlots);
  node.usedSlots += rec.wire.requiredSlots;
  node.totalTasksRun++;
  if (node.state === 'idle') setNodeState(node, 'running');
  const relDir = `workitems/${rec.jobId}/job-1/${rec.wire.id}`;
  const taskDir = path.join(engine.nodeRoot(node), relDir);
  if (rec.taskDir !== taskDir) {
    rec.taskDir = taskDir;
    rec.prepared = false;
  }
  const nodeUrl = engine.nodeUrl(pool.wire.id, node.id);
  rec.wire.nodeInfo = {
    affinityId: `TVM:${node.id}`,
    nodeUrl,
    poolId: pool.wire.id,
    nodeId: node.id,
    taskRootDirectory: relDir,
    taskRootDirectoryUrl: `${nodeUrl}/files/${relDir}`,
  };
  rec.wire.executionInfo.startTime = isoTime();
  engine.setTaskState(rec, 'running');
  startAttempt(engine, rec, node);
}

/**
 * Runs an attempt; whatever it throws completes the task with a server error instead of ending the service (an
 * unhandled rejection exits Node).
 */
function startAttempt(engine: Engine, rec: TaskRecord, node: NodeRecord): void {
  const attempt: Attempt = { abandoned: false };
  engine.attempts.set(rec, attempt);
  runAttempt(engine, rec, node, attempt).catch((err: unknown) => failAttempt(engine, rec, attempt, err));
}

/**
 * Completes the task with a server error, unless the attempt that failed is no longer the task's: an attempt
 * abandoned by an eviction may fail on its removed folder after the requeued task has started again elsewhere.
 */
function failAttempt(engine: Engine, rec: TaskRecord, attempt: Attempt, err: unknown): void {
  if (engine.closed || attempt.abandoned || engine.attempts.get(rec) !== attempt || rec.wire.state !== 'running') return;
  console.error(`local-batch: task ${rec.jobId}/${rec.wire.id} failed inside the service:`, err);
  completeTask(engine, rec, { failureInfo: { category: 'servererror', code: 'TaskExecutionError', message: `The node could not run the task: ${(err as Error).message}` } });
}

/** The failure of a task whose folders could not be made: the node's fault (disk full, folder blocked), not the user's. */
function taskDirFailure(rec: TaskRecord, err: unknown): FailureInfo {
  const code = (err as NodeJS.ErrnoException).code ?? 'Unknown';
  return {
    category: 'servererror',
    code: 'TaskDirectoryCreationFailed',
    message: `The task's working directory ${rec.wire.nodeInfo?.taskRootDirectory ?? ''}/wd could not be created on the node (${code})`,
    details: [
      { name: 'Reason', value: code },
      { name: 'Message', value: (err as Error).message },
    ],
  };
}

async function runAttempt(engine: Engine, rec: TaskRecord, node: NodeRecord, attempt: Attempt): Promise<void> {
  const taskDir = rec.taskDir!;
  const wd = path.join(taskDir, 'wd');
  // Off the main thread: directory creation is the costliest step of a start on a busy disk.
  try {
    await makeDirs([wd]);
  } catch (err) {
    if (attempt.abandoned || engine.closed) return;
    completeTask(engine, rec, { failureInfo: taskDirFailure(rec, err) });
    return;
  }
  if (attempt.abandoned || engine.closed) return;
  if (!rec.prepared && rec.wire.resourceFiles?.length) {
    try {
      await downloadResourceFiles(wd, rec.wire.resourceFiles, transferContext(engine, node));
    } catch (err) {
      if (attempt.abandoned) return;
      // A pre-processing error: completes without an exit code, never retried.
      const failure = err instanceof TransferError ? err.failureInfo : { category: 'servererror' as const, code: 'ResourceFileDownloadError', message: String(err) };
      completeTask(engine, rec, { failureInfo: failure });
      return;
    }
    if (attempt.abandoned) return;
  }
  // The task's folder belongs to the user it runs as, downloaded inputs included (as on a node); a retry reuses it.
  const user = runAs(rec.wire.userIdentity, engine.nonadminUser);
  if (user && !rec.prepared) {
    await giveTree(taskDir, user);
    if (attempt.abandoned || engine.closed) return;
  }
  rec.prepared = true;
  const onExit = (exitCode: number) => {
    engine.cancel(attempt.timer);
    if (attempt.abandoned || engine.closed) return;
    attempt.pid = undefined;
    rec.pid = undefined;
    rec.pidStart = undefined;
    afterExit(engine, rec, node, attempt, exitCode).catch((err: unknown) => failAttempt(engine, rec, attempt, err));
  };
  if (engine.faults.takeTaskFailure()) {
    setImmediate(() => onExit(1));
  } else {
    attempt.handle = engine.processes.start(
      { commandLine: rec.wire.commandLine, cwd: wd, env: taskEnv(engine, rec, node, taskDir), stdoutPath: path.join(taskDir, 'stdout.txt'), stderrPath: path.join(taskDir, 'stderr.txt'), uid: user?.uid, gid: user?.gid },
      {
        onStarted: (pid, pidStart) => {
          if (attempt.abandoned) return;
          attempt.pid = pid;
          rec.pid = pid;
          rec.pidStart = pidStart;
          engine.touchTask(rec);
        },
        onExit,
        onError: (message) => {
          engine.cancel(attempt.timer);
          failAttempt(engine, rec, attempt, new Error(message));
        },
      },
    );
  }
  armWallClock(engine, rec);
}

/** (Re)arms the running attempt's maxWallClockTime, counted from the attempt's start (also after a task update). */
export function armWallClock(engine: Engine, rec: TaskRecord): void {
  const attempt = engine.attempts.get(rec);
  if (!attempt || attempt.abandoned) return;
  engine.cancel(attempt.timer);
  attempt.timer = undefined;
  const wallClockMs = parseDuration(rec.wire.constraints.maxWallClockTime) ?? UNLIMITED_MS;
  const started = Date.parse(rec.wire.executionInfo.startTime ?? isoTime());
  const left = started + wallClockMs - Date.now();
  if (wallClockMs >= UNLIMITED_MS || left >= 2 ** 31) return;
  attempt.timer = engine.later(Math.max(0, left), () => {
    if (attempt.abandoned || rec.wire.state !== 'running') return;
    stopTask(engine, rec, taskEndedByWallClock);
  });
}

async function afterExit(engine: Engine, rec: TaskRecord, node: NodeRecord, attempt: Attempt, exitCode: number): Promise<void> {
  const info = rec.wire.executionInfo;
  const maxRetries = rec.wire.constraints.maxTaskRetryCount;
  if (exitCode !== 0 && (maxRetries === -1 || info.retryCount < maxRetries)) {
    info.retryCount++;
    info.lastRetryTime = isoTime();
    info.startTime = isoTime();
    engine.touchTask(rec);
    startAttempt(engine, rec, node);
    return;
  }
  let failureInfo: FailureInfo | undefined;
  if (exitCode !== 0) {
    failureInfo = {
      category: 'usererror',
      code: 'FailureExitCode',
      message: 'The task exited with an exit code representing a failure',
      details: [{ name: 'Message', value: `The task process exited with an unexpected exit code` }, { name: 'AdditionalErrorCode', value: 'FailureExitCode' }],
    };
  }
  if (rec.wire.outputFiles?.length && rec.taskDir) {
    const uploadFailure = await uploadOutputFiles(rec.taskDir, path.join(rec.taskDir, 'wd'), rec.wire.outputFiles, exitCode === 0, transferContext(engine, node)).catch(
      (err: Error): FailureInfo => ({ category: 'servererror', code: 'FileUploadMiscError', message: err.message }),
    );
    if (attempt.abandoned || engine.closed) return;
    failureInfo ??= uploadFailure;
  }
  completeTask(engine, rec, { exitCode, failureInfo });
}

/** Frees the task's slots on its node (and finishes a node that was only waiting for its tasks). */
export function releaseSlot(engine: Engine, rec: TaskRecord): void {
  const placed = nodeFor(engine, rec);
  if (!placed) return;
  const { pool, node } = placed;
  const key = taskKey(rec.jobId, rec.wire.id);
  const slots = node.running.get(key);
  if (slots === undefined) return;
  node.running.delete(key);
  node.usedSlots -= slots;
  if (node.state === 'running' && node.usedSlots === 0) setNodeState(node, 'idle');
  // A node waiting for its last task (to leave the pool or reboot) is settled by the next pass (scheduler.ts).
  if ((node.leaving || node.rebootPending) && node.running.size === 0) {
    engine.settle.nodes.add(node);
    engine.kick();
  }
  engine.touchPool(pool, false);
}

function abandonAttempt(engine: Engine, rec: TaskRecord): void {
  const attempt = engine.attempts.get(rec);
  if (attempt) {
    attempt.abandoned = true;
    engine.cancel(attempt.timer);
    attempt.handle?.kill();
    engine.attempts.delete(rec);
  }
  rec.pid = undefined;
  rec.pidStart = undefined;
}

/** Completes the task with its outcome: exit code (absent if it never ran) and failure info. */
export function completeTask(engine: Engine, rec: TaskRecord, outcome: { exitCode?: number; failureInfo?: FailureInfo }): void {
  abandonAttempt(engine, rec);
  const placed = nodeFor(engine, rec);
  releaseSlot(engine, rec);
  const info = rec.wire.executionInfo;
  info.endTime = isoTime();
  if (outcome.exitCode !== undefined) info.exitCode = outcome.exitCode;
  else delete info.exitCode;
  info.failureInfo = outcome.failureInfo;
  if (!outcome.failureInfo) delete info.failureInfo;
  info.result = outcome.failureInfo || (outcome.exitCode !== undefined && outcome.exitCode !== 0) ? 'failure' : 'success';
  if (placed && info.result === 'success') placed.node.totalTasksSucceeded++;
  engine.setTaskState(rec, 'completed');
  scheduleRetention(engine, rec);
  // The job's onAllTasksComplete is checked by the next pass (scheduler.ts).
  engine.settle.jobs.add(rec.jobId);
  engine.kick();
}

/** Kills the running attempt (if any) and completes the task with `failureInfo`: terminate, wall-clock, job terminate. */
export function stopTask(engine: Engine, rec: TaskRecord, failureInfo: FailureInfo): void {
  const ran = rec.wire.state === 'running' || rec.wire.state === 'preparing';
  const attempt = engine.attempts.get(rec);
  completeTask(engine, rec, { exitCode: ran && attempt?.handle ? 137 : undefined, failureInfo });
}

/**
 * Takes a running task off its node and puts it back in the queue. `counted`: a user action (resize with requeue,
 * job disable with requeue) counts in requeueCount; recovery (preemption, service restart) does not count anywhere.
 */
export function requeueTask(engine: Engine, rec: TaskRecord, counted: boolean): void {
  abandonAttempt(engine, rec);
  releaseSlot(engine, rec);
  const info = rec.wire.executionInfo;
  if (counted) {
    info.requeueCount++;
    info.lastRequeueTime = isoTime();
  }
  delete info.startTime;
  delete rec.wire.nodeInfo;
  engine.setTaskState(rec, 'active');
  engine.kick();
}

/** Kills any process of the task without any state change (delete, shutdown). */
export function killTaskProcess(engine: Engine, rec: TaskRecord): void {
  abandonAttempt(engine, rec);
  releaseSlot(engine, rec);
}

/** Pending retention clean-ups, so a delete or reactivation can cancel them. */
const retentionTimers = new WeakMap<TaskRecord, NodeJS.Timeout>();

/** Arms the clean-up of a completed task's folder, `delayMs` from now (default: its full retentionTime). */
export function scheduleRetention(engine: Engine, rec: TaskRecord, delayMs?: number): void {
  cancelRetention(engine, rec);
  const ms = delayMs ?? parseDuration(rec.wire.constraints.retentionTime) ?? UNLIMITED_MS;
  if (ms >= 2 ** 31 || !rec.taskDir) return;
  retentionTimers.set(rec, engine.later(Math.max(0, ms), () => {
    retentionTimers.delete(rec);
    cleanupTaskDir(engine, rec);
  }));
}

/** Cancels the task's pending retention clean-up (task deleted or reactivated). */
export function cancelRetention(engine: Engine, rec: TaskRecord): void {
  engine.cancel(retentionTimers.get(rec));
  retentionTimers.delete(rec);
}

/** Deletes a completed task's directory once its retention time passed. */
export function cleanupTaskDir(engine: Engine, rec: TaskRecord): void {
  if (rec.wire.state !== 'completed' || !rec.taskDir) return;
  engine.discardDir(rec.taskDir);
  rec.taskDir = undefined;
  rec.cleanedUp = true;
  engine.touchTask(rec);
}

/**
 * The node's local files are gone (preemption, removal): every task that ran there forgets its folder, so a rerun on
 * the node that comes back under the same id makes it again, downloads its resource files and gives it to its user.
 */
export function forgetNodeFiles(engine: Engine, node: NodeRecord): void {
  const root = engine.nodeRoot(node) + path.sep;
  for (const rec of engine.tasks.values()) {
    if (!rec.taskDir?.startsWith(root)) continue;
    cancelRetention(engine, rec);
    rec.taskDir = undefined;
    rec.prepared = false;
    engine.touchTask(rec);
  }
}

/** Takes every task off a node that is going away: requeue (counted), terminate, or recover (uncounted requeue). */
export function completeTaskOnNodeRemoval(engine: Engine, node: NodeRecord, mode: 'requeue' | 'terminate' | 'recover'): void {
  for (const key of [...node.running.keys()]) {
    const rec = engine.tasks.get(key);
    if (!rec) {
      node.running.delete(key);
      continue;
    }
    if (mode === 'terminate') {
      stopTask(engine, rec, { category: 'usererror', code: 'TaskEnded', message: 'Task was ended because its node was removed from the pool' });
    } else requeueTask(engine, rec, mode === 'requeue');
  }
  node.running.clear();
  node.usedSlots = 0;
}
