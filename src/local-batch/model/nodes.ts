import * as path from 'node:path';
import type { Engine } from './engine';
import { baseEnvironment, killRecordedGroup, type ProcessHandle } from '../execution/executor';
import { completeTaskOnNodeRemoval, forgetNodeFiles, transferContext } from '../execution/task-runner';
import { downloadResourceFiles, TransferError } from '../execution/transfers';
import { setNodeState } from './node-state';
import type { NodeRecord, PoolRecord } from './types';
import { isoTime } from '../http/wire';
import { makeDirs } from '../execution/task-dirs';
import { runAs, giveTree, shareDirs } from '../execution/task-users';

/**
 * Simulated compute nodes: allocation, the pool start task (once per node boot), removal on shrink or pool delete
 * (honouring nodeDeallocationOption) and preemption of low-priority nodes.
 */
let nodeCounter = 0;

/** Running start-task processes (not persisted; a restart reboots every node). */
const startHandles = new WeakMap<NodeRecord, ProcessHandle>();

function killStartTask(node: NodeRecord): void {
  startHandles.get(node)?.kill();
  startHandles.delete(node);
}

/** Kills every running start task (service shutdown). */
export function killStartTasks(engine: Engine): void {
  for (const pool of engine.pools.values()) for (const node of pool.nodes.values()) killStartTask(node);
}

function newNodeId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'z').toLowerCase();
  return `tvm-${1000000000 + process.pid}_${++nodeCounter}-${stamp}`;
}

export function addNode(engine: Engine, pool: PoolRecord, isDedicated: boolean): NodeRecord {
  const now = isoTime();
  const node: NodeRecord = {
    id: newNodeId(),
    poolId: pool.wire.id,
    isDedicated,
    state: 'creating',
    stateTransitionTime: now,
    allocationTime: now,
    lastBootTime: now,
    totalTasksRun: 0,
    totalTasksSucceeded: 0,
    running: new Map(),
    usedSlots: 0,
  };
  pool.nodes.set(node.id, node);
  leaveCreating(engine, pool, node);
  return node;
}

/** A node being allocated stays `creating` for the node-state delay (the VM being made), then boots. */
function leaveCreating(engine: Engine, pool: PoolRecord, node: NodeRecord): void {
  engine.later(engine.options.nodeStateDelayMs, () => {
    if (pool.nodes.get(node.id) !== node || node.state !== 'creating') return;
    bootNode(engine, pool, node);
  });
}

/** The current boot of each node: a boot that finishes after the node rebooted, left or was preempted is ignored. */
const boots = new WeakMap<NodeRecord, object>();

/**
 * A node (re)boots: it is `starting` while its folders are made (off the main thread), then runs the pool's start
 * task if there is one and takes tasks. Folders that cannot be made leave the node `unusable` with an error.
 */
export function bootNode(engine: Engine, pool: PoolRecord, node: NodeRecord): void {
  const boot = {};
  boots.set(node, boot);
  node.lastBootTime = isoTime();
  node.startTaskInfo = undefined;
  node.errors = undefined;
  setNodeState(node, 'starting');
  engine.touchPool(pool, false);
  const root = engine.nodeRoot(node);
  const current = () => !engine.closed && boots.get(node) === boot && pool.nodes.get(node.id) === node;
  const madeAt = Date.now();
  const sharedByAll = ['shared', 'home', 'tmp'].map((dir) => path.join(root, dir));
  const made = makeDirs(['startup/wd', 'workitems', 'fsmounts'].map((dir) => path.join(root, dir)).concat(sharedByAll)).then(() =>
    engine.nonadminUser ? shareDirs(sharedByAll) : undefined,
  );
  made.then(
    () => {
      // `starting` lasts at least the node-state delay, so a client polling the node can see it.
      const rest = engine.options.nodeStateDelayMs - (Date.now() - madeAt);
      if (rest <= 0) {
        if (current()) finishBoot(engine, pool, node);
      } else {
        engine.later(rest, () => {
          if (current()) finishBoot(engine, pool, node);
        });
      }
    },
    (err: unknown) => {
      if (!current()) return;
      node.errors = [{ code: 'NodeFoldersNotCreated', message: `The node's folders could not be created: ${(err as Error).message}` }];
      setNodeState(node, 'unusable');
      engine.touchPool(pool, false);
    },
  );
}

function finishBoot(engine: Engine, pool: PoolRecord, node: NodeRecord): void {
  const startTask = pool.wire.startTask;
  if (!startTask) {
    setNodeState(node, 'idle');
  } else {
    const waits = startTask.waitForSuccess ?? true;
    setNodeState(node, waits ? 'waitingforstarttask' : 'idle');
    node.startTaskInfo = { state: 'running', startTime: isoTime(), retryCount: 0 };
    void runStartTask(engine, pool, node, true);
  }
  engine.touchPool(pool, false);
  engine.kick();
}

async function runStartTask(engine: Engine, pool: PoolRecord, node: NodeRecord, first: boolean): Promise<void> {
  const startTask = pool.wire.startTask!;
  const info = node.startTaskInfo!;
  const bootedAt = node.lastBootTime;
  const stillBooting = () => !engine.closed && pool.nodes.get(node.id) === node && node.lastBootTime === bootedAt;
  const root = engine.nodeRoot(node);
  const taskDir = path.join(root, 'startup');
  const wd = path.join(taskDir, 'wd');
  const finish = (exitCode: number | undefined, failure?: TransferError['failureInfo']) => {
    if (!stillBooting()) return;
    node.startPid = undefined;
    const maxRetries = startTask.maxTaskRetryCount ?? 0;
    if (exitCode !== undefined && exitCode !== 0 && (maxRetries === -1 || info.retryCount < maxRetries)) {
      info.retryCount++;
      info.startTime = isoTime();
      void runStartTask(engine, pool, node, false);
      return;
    }
    info.state = 'completed';
    info.endTime = isoTime();
    if (exitCode !== undefined) info.exitCode = exitCode;
    info.result = exitCode === 0 && !failure ? 'success' : 'failure';
    if (info.result === 'failure') {
      info.failureInfo = failure ?? { category: 'usererror', code: 'FailureExitCode', message: 'The task exited with an exit code representing a failure' };
    }
    const waits = startTask.waitForSuccess ?? true;
    if (waits && node.state === 'waitingforstarttask') setNodeState(node, info.result === 'success' ? 'idle' : 'starttaskfailed');
    engine.touchPool(pool, false);
    engine.kick();
  };
  if (first && startTask.resourceFiles?.length) {
    try {
      await downloadResourceFiles(wd, startTask.resourceFiles, transferContext(engine, node));
    } catch (err) {
      finish(undefined, err instanceof TransferError ? err.failureInfo : { category: 'servererror', code: 'ResourceFileDownloadError', message: String(err) });
      return;
    }
  }
  if (!stillBooting()) return;
  const user = runAs(startTask.userIdentity, engine.nonadminUser);
  if (user) {
    try {
      await giveTree(taskDir, user);
    } catch (err) {
      finish(undefined, { category: 'servererror', code: 'StartTaskExecutionError', message: `The start task's folder could not be prepared: ${(err as Error).message}` });
      return;
    }
    if (!stillBooting()) return;
  }
  if (engine.faults.takeStartTaskFailure()) {
    setImmediate(() => finish(1));
    return;
  }
  const env: Record<string, string> = {
    ...baseEnvironment(root),
    AZ_BATCH_ACCOUNT_NAME: engine.options.accountName,
    AZ_BATCH_ACCOUNT_URL: engine.baseUrl,
    AZ_BATCH_POOL_ID: pool.wire.id,
    AZ_BATCH_NODE_ID: node.id,
    AZ_BATCH_NODE_IS_DEDICATED: String(node.isDedicated),
    AZ_BATCH_NODE_ROOT_DIR: root,
    AZ_BATCH_NODE_SHARED_DIR: path.join(root, 'shared'),
    AZ_BATCH_NODE_STARTUP_DIR: taskDir,
    AZ_BATCH_NODE_MOUNTS_DIR: path.join(root, 'fsmounts'),
    AZ_BATCH_TASK_DIR: taskDir,
    AZ_BATCH_TASK_WORKING_DIR: wd,
  };
  for (const s of startTask.environmentSettings ?? []) env[s.name] = s.value ?? '';
  let handle: ProcessHandle;
  try {
    handle = engine.processes.start(
      { commandLine: startTask.commandLine, cwd: wd, env, stdoutPath: path.join(taskDir, 'stdout.txt'), stderrPath: path.join(taskDir, 'stderr.txt'), uid: user?.uid, gid: user?.gid },
      {
        onStarted: (pid, pidStart) => {
          if (!stillBooting()) return;
          node.startPid = pid;
          node.startPidStart = pidStart;
          engine.touchPool(pool, false);
        },
        onExit: (code) => finish(code),
        onError: (message) => {
          finish(undefined, { category: 'servererror', code: 'StartTaskExecutionError', message: `The node could not start the start task: ${message}` });
        },
      },
    );
  } catch (err) {
    // E.g. its log files cannot be opened (disk full): the start task fails, the service lives on.
    finish(undefined, { category: 'servererror', code: 'StartTaskExecutionError', message: `The node could not start the start task: ${(err as Error).message}` });
    return;
  }
  startHandles.set(node, handle);
}

/** Removes the node now: its directory, its start task, and it from the pool. */
function dropNode(engine: Engine, pool: PoolRecord, node: NodeRecord): void {
  killStartTask(node);
  pool.nodes.delete(node.id);
  engine.discardDir(engine.nodeRoot(node));
  forgetNodeFiles(engine, node);
  engine.touchPool(pool);
}

/**
 * Takes a node out of the pool. Running tasks: `requeue` (default) and `terminate` act at once; `taskcompletion` and
 * `retaineddata` mark the node leaving and remove it once its tasks finish.
 */
export function removeNode(engine: Engine, pool: PoolRecord, node: NodeRecord, option: PoolRecord['nodeDeallocationOption'] = 'requeue'): void {
  if (node.running.size > 0 && (option === 'taskcompletion' || option === 'retaineddata')) {
    node.leaving = true;
    setNodeState(node, 'leavingpool');
    engine.touchPool(pool, false);
    return;
  }
  completeTaskOnNodeRemoval(engine, node, option === 'terminate' ? 'terminate' : 'requeue');
  dropNode(engine, pool, node);
}

/** A leaving node's last task finished. */
export function finishLeavingNode(engine: Engine, pool: PoolRecord, node: NodeRecord): void {
  dropNode(engine, pool, node);
  afterNodeChange(engine, pool);
}

/** Called when nodes change: a resizing pool becomes steady once no node is still leaving. */
export function afterNodeChange(engine: Engine, pool: PoolRecord): void {
  if (pool.wire.allocationState === 'steady' || pool.pendingResize) return;
  if ([...pool.nodes.values()].some((n) => n.leaving)) return;
  setAllocationState(engine, pool, 'steady');
}

export function setAllocationState(engine: Engine, pool: PoolRecord, state: PoolRecord['wire']['allocationState']): void {
  if (pool.wire.allocationState !== state) {
    pool.wire.allocationState = state;
    pool.wire.allocationStateTransitionTime = isoTime();
  }
  engine.touchPool(pool);
}

/** Preempts a low-priority node: it goes `preempted`, its tasks are requeued uncounted, and it comes back later. */
export function preemptNode(engine: Engine, pool: PoolRecord, node: NodeRecord): void {
  completeTaskOnNodeRemoval(engine, node, 'recover');
  killStartTask(node);
  engine.faults.evictions++;
  setNodeState(node, 'preempted');
  boots.delete(node);
  // Local data is lost; the rename frees the path at once, so the next boot never races the removal.
  engine.discardDir(engine.nodeRoot(node));
  forgetNodeFiles(engine, node);
  engine.touchPool(pool, false);
  engine.later(engine.options.allocationDelayMs, () => {
    if (pool.nodes.get(node.id) !== node || node.state !== 'preempted') return;
    setNodeState(node, 'creating');
    engine.touchPool(pool, false);
    leaveCreating(engine, pool, node);
  });
}

/** After a service restart: kill orphaned start tasks and boot every node again. */
export function rebootAfterRestart(engine: Engine, pool: PoolRecord): void {
  for (const node of pool.nodes.values()) {
    killRecordedGroup(node.startPid, node.startPidStart);
    node.startPid = undefined;
    node.running = new Map();
    node.usedSlots = 0;
    node.rebootPending = false;
    if (node.leaving) {
      pool.nodes.delete(node.id);
      continue;
    }
    if (node.state === 'preempted' || node.state === 'starttaskfailed' || node.state === 'unusable') {
      setNodeState(node, 'creating');
    }
    bootNode(engine, pool, node);
  }
}

export type NodeTaskOption = 'requeue' | 'terminate' | 'taskcompletion' | 'retaineddata';

/** Reboots a node: its tasks are requeued or terminated (or waited for), it goes `rebooting`, then boots again. */
export function rebootNode(engine: Engine, pool: PoolRecord, node: NodeRecord, option: NodeTaskOption = 'requeue'): void {
  if (node.running.size > 0 && (option === 'taskcompletion' || option === 'retaineddata')) {
    node.rebootPending = true;
    engine.touchPool(pool, false);
    return;
  }
  node.rebootPending = false;
  completeTaskOnNodeRemoval(engine, node, option === 'terminate' ? 'terminate' : 'requeue');
  killStartTask(node);
  setNodeState(node, 'rebooting');
  engine.touchPool(pool, false);
  engine.later(engine.options.allocationDelayMs, () => {
    if (pool.nodes.get(node.id) !== node || node.state !== 'rebooting') return;
    bootNode(engine, pool, node);
  });
}

/** Disables scheduling on a node; its running tasks are requeued, terminated or left to finish. */
export function disableNodeScheduling(engine: Engine, pool: PoolRecord, node: NodeRecord, option: 'requeue' | 'terminate' | 'taskcompletion' = 'requeue'): void {
  node.schedulingDisabled = true;
  if (option !== 'taskcompletion') completeTaskOnNodeRemoval(engine, node, option);
  if (node.state === 'running' && node.running.size === 0) setNodeState(node, 'idle');
  engine.touchPool(pool, false);
}

export function enableNodeScheduling(engine: Engine, pool: PoolRecord, node: NodeRecord): void {
  node.schedulingDisabled = false;
  engine.touchPool(pool, false);
  engine.kick();
}
