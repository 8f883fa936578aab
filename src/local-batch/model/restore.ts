import type { Engine } from './engine';
import { killRecordedGroup } from '../execution/executor';
import { armJobWallClock, setJobState } from './job-lifecycle';
import { removeJob } from './jobs';
import { rebootAfterRestart } from './nodes';
import { resumePool } from './pools';
import { cleanupTaskDir, scheduleRetention } from '../execution/task-runner';
import type { JobRecord, NodeRecord, PoolRecord, TaskRecord } from './types';
import { isoTime, parseDuration, UNLIMITED_MS } from '../http/wire';

/**
 * Loads persisted state after a (re)start. Tasks that were running when the service died are requeued as after a
 * node failure (not counted in retryCount or requeueCount) and their orphaned process groups are killed; nodes boot
 * again (start task included); pools and jobs caught mid-transition finish it.
 */
export function restoreState(engine: Engine): void {
  const records = engine.store.load();
  const pools: PoolRecord[] = [];
  const jobs: JobRecord[] = [];
  const tasks: TaskRecord[] = [];
  for (const entry of records.values()) {
    if (entry.t === 'pool') {
      const raw = entry.v as Omit<PoolRecord, 'nodes'> & { nodes: NodeRecord[] };
      const nodes = new Map<string, NodeRecord>(raw.nodes.map((n) => [n.id, { ...n, running: new Map(), usedSlots: 0 }]));
      pools.push({ seq: raw.seq, wire: raw.wire, nodeDeallocationOption: raw.nodeDeallocationOption, nodes });
    } else if (entry.t === 'job') jobs.push(entry.v as JobRecord);
    else if (entry.t === 'task') tasks.push(entry.v as TaskRecord);
  }
  for (const pool of pools.sort((a, b) => a.seq - b.seq)) {
    engine.pools.set(pool.wire.id.toLowerCase(), pool);
    engine.bumpSeq(pool.seq);
  }
  for (const job of jobs.sort((a, b) => a.seq - b.seq)) {
    engine.jobs.set(job.wire.id.toLowerCase(), job);
    engine.bumpSeq(job.seq);
  }
  for (const task of tasks.sort((a, b) => a.seq - b.seq)) {
    engine.bumpSeq(task.seq);
    if (task.wire.state === 'running' || task.wire.state === 'preparing') {
      killRecordedGroup(task.pid, task.pidStart);
      task.pid = undefined;
      task.pidStart = undefined;
      const wire = task.wire;
      wire.previousState = wire.state;
      wire.previousStateTransitionTime = wire.stateTransitionTime;
      wire.state = 'active';
      wire.stateTransitionTime = isoTime();
      delete wire.executionInfo.startTime;
      delete wire.nodeInfo;
      engine.indexTask(task);
      engine.touchTask(task);
    } else {
      engine.indexTask(task);
    }
    if (task.wire.state === 'completed' && task.taskDir && !task.cleanedUp) {
      const ms = parseDuration(task.wire.constraints.retentionTime) ?? UNLIMITED_MS;
      const left = Date.parse(task.wire.executionInfo.endTime ?? isoTime()) + ms - Date.now();
      if (left <= 0) cleanupTaskDir(engine, task);
      else scheduleRetention(engine, task, left);
    }
  }
  for (const pool of engine.pools.values()) {
    for (const node of pool.nodes.values()) killRecordedGroup(node.startPid, node.startPidStart);
  }
}

/** After the server listens: boot nodes, finish interrupted transitions, schedule. */
export function resumeAfterRestore(engine: Engine): void {
  for (const pool of [...engine.pools.values()]) {
    rebootAfterRestart(engine, pool);
    resumePool(engine, pool);
  }
  for (const job of [...engine.jobs.values()]) {
    const state = job.wire.state;
    if (state === 'deleting') removeJob(engine, job);
    else if (state === 'terminating') {
      job.wire.executionInfo.endTime = isoTime();
      setJobState(engine, job, 'completed');
    } else if (state === 'disabling') setJobState(engine, job, 'disabled');
    else if (state === 'enabling') setJobState(engine, job, 'active');
    if (engine.jobs.has(job.wire.id.toLowerCase())) armJobWallClock(engine, job);
  }
  engine.kick();
}
