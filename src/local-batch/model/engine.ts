import { chmodSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { FaultSettings } from '../http/faults';
import { Faults } from '../http/faults';
import { applyQuotas, type QuotaSettings, type Quotas } from './quotas';
import type { ProcessHandle } from '../execution/executor';
import type { EmulatedStorage } from '../execution/storage-urls';
import { ProcessPool } from '../execution/process-pool';
import { schedulePass } from '../execution/scheduler';
import { Stats } from '../http/stats';
import { Store, type JournalEntry } from './store';
import { discardDir, openTrash } from '../execution/task-dirs';
import { nonadminUserOf, openPathFor, type TaskUser } from '../execution/task-users';
import { taskKey, type JobRecord, type NodeRecord, type PoolRecord, type TaskCounts, type TaskRecord, type TaskState } from './types';
import { isoTime, newETag } from '../http/wire';

export interface EngineOptions {
  accountName: string;
  accountKey: string;
  dataDir: string;
  allocationDelayMs: number;
  /** How long a new node is `creating`, and at least how long it is `starting`, in ms. */
  nodeStateDelayMs: number;
  faults?: FaultSettings;
  quotas?: QuotaSettings;
  /** The account nonadmin tasks run as when the service is root (default `nobody`); see task-users.ts. */
  taskUser?: string;
  /** The storage account the stack emulates; its Azure URLs are mapped to the local endpoint (storage-urls.ts). */
  storage?: EmulatedStorage;
}

/** What the running task attempt holds; `abandoned` once something else (terminate, requeue, kill) took over. */
export interface Attempt {
  abandoned: boolean;
  handle?: ProcessHandle;
  pid?: number;
  timer?: NodeJS.Timeout;
}

/**
 * The service's in-memory state and its shared machinery (store, timers, scheduler trigger). Every entity change
 * goes through `touch*`, which bumps ETag/lastModified and queues the record for the journal.
 */
export class Engine {
  readonly pools = new Map<string, PoolRecord>();
  readonly jobs = new Map<string, JobRecord>();
  readonly tasks = new Map<string, TaskRecord>();
  /** Tasks of each job in creation order (may hold deleted records; check `tasks`). */
  readonly jobTasks = new Map<string, TaskRecord[]>();
  /** Active tasks waiting for a slot, per job, in queue order. */
  readonly queues = new Map<string, Set<TaskRecord>>();
  readonly counts = new Map<string, TaskCounts>();
  /** The same counters weighted by requiredSlots (the taskSlotCounts of the task-counts API). */
  readonly slotCounts = new Map<string, TaskCounts>();
  readonly attempts = new Map<TaskRecord, Attempt>();
  readonly store: Store;
  readonly faults: Faults;
  /** Account quotas (absent = unlimited); in memory only: a restart goes back to the start settings. */
  readonly quotas: Quotas = {};
  readonly stats = new Stats();
  readonly processes = new ProcessPool();
  readonly key: Buffer;
  /** Who nonadmin tasks run as; undefined when the service is not root (then every task runs as the service user). */
  readonly nonadminUser: TaskUser | undefined;
  baseUrl = 'http://127.0.0.1';
  closed = false;
  private seq = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private scheduled = false;
  /** Follow-ups of finished tasks for the next scheduling pass: emptied nodes, and ids of jobs a task completed in. */
  readonly settle = { nodes: new Set<NodeRecord>(), jobs: new Set<string>() };

  constructor(readonly options: EngineOptions) {
    this.key = Buffer.from(options.accountKey, 'base64');
    this.store = new Store({ dir: path.join(options.dataDir, 'state') });
    this.store.snapshotSource = () => this.snapshot();
    this.faults = new Faults(options.faults);
    if (options.quotas) applyQuotas(this.quotas, options.quotas);
    mkdirSync(this.nodesDir, { recursive: true });
    openTrash(this.trashDir);
    this.nonadminUser = nonadminUserOf(options.taskUser);
    if (this.nonadminUser) {
      // Searchable, not listable: tasks reach their node folders; state/ and trash/ stay 0700.
      chmodSync(options.dataDir, 0o711);
      chmodSync(this.nodesDir, 0o711);
      openPathFor(this.nonadminUser, this.nodesDir);
    }
  }

  /**
   * How long a deleted pool or job stays `deleting` before it is gone: the allocation delay, but at least 500 ms so
   * a client can observe the state (and the 409s it implies) as it would on the real service.
   */
  get deletionDelayMs(): number {
    return Math.max(this.options.allocationDelayMs, 500);
  }

  get nodesDir(): string {
    return path.join(this.options.dataDir, 'nodes');
  }

  /** Where removed task and node folders wait for their background deletion (same file system as `nodesDir`). */
  get trashDir(): string {
    return path.join(this.options.dataDir, 'trash');
  }

  /** Frees a task or node folder's path now and deletes the tree in the background. */
  discardDir(dir: string): void {
    discardDir(this.trashDir, dir);
  }

  nextSeq(): number {
    return ++this.seq;
  }

  bumpSeq(seen: number): void {
    if (seen > this.seq) this.seq = seen;
  }

  /** Runs `fn` after `ms` unless the service closed first. */
  later(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** Asks for a scheduling pass soon; many requests in one tick coalesce into one pass. */
  kick(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.closed) schedulePass(this);
    });
  }

  poolUrl(poolId: string): string {
    return `${this.baseUrl}/pools/${poolId}`;
  }

  jobUrl(jobId: string): string {
    return `${this.baseUrl}/jobs/${jobId}`;
  }

  taskUrl(jobId: string, taskId: string): string {
    return `${this.baseUrl}/jobs/${jobId}/tasks/${taskId}`;
  }

  nodeUrl(poolId: string, nodeId: string): string {
    return `${this.baseUrl}/pools/${poolId}/nodes/${nodeId}`;
  }

  nodeRoot(node: NodeRecord): string {
    return path.join(this.nodesDir, node.poolId, node.id);
  }

  touchTask(rec: TaskRecord): void {
    rec.wire.eTag = newETag();
    rec.wire.lastModified = isoTime();
    const key = taskKey(rec.jobId, rec.wire.id);
    this.store.touch('task', key, () => (this.tasks.get(key) === rec ? persistTask(rec) : null));
  }

  touchJob(rec: JobRecord): void {
    rec.wire.eTag = newETag();
    rec.wire.lastModified = isoTime();
    const key = rec.wire.id.toLowerCase();
    this.store.touch('job', key, () => (this.jobs.get(key) === rec ? rec : null));
  }

  touchPool(rec: PoolRecord, bump = true): void {
    if (bump) {
      rec.wire.eTag = newETag();
      rec.wire.lastModified = isoTime();
    }
    const key = rec.wire.id.toLowerCase();
    this.store.touch('pool', key, () => (this.pools.get(key) === rec ? persistPool(rec) : null));
  }

  countsOf(jobId: string): TaskCounts {
    return counters(this.counts, jobId);
  }

  slotCountsOf(jobId: string): TaskCounts {
    return counters(this.slotCounts, jobId);
  }

  private adjust(rec: TaskRecord, delta: number): void {
    count(this.countsOf(rec.jobId), rec, delta, 1);
    count(this.slotCountsOf(rec.jobId), rec, delta, rec.wire.requiredSlots);
  }

  /** Moves a task to `state`, keeping previousState, transition times and the job's counters right. */
  setTaskState(rec: TaskRecord, state: TaskState): void {
    const wire = rec.wire;
    this.adjust(rec, -1);
    if (wire.state !== state) {
      wire.previousState = wire.state;
      wire.previousStateTransitionTime = wire.stateTransitionTime;
      wire.state = state;
      wire.stateTransitionTime = isoTime();
    }
    this.adjust(rec, 1);
    const queue = this.queueOf(rec.jobId);
    if (state === 'active') queue.add(rec);
    else queue.delete(rec);
    this.touchTask(rec);
  }

  queueOf(jobId: string): Set<TaskRecord> {
    const key = jobId.toLowerCase();
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new Set();
      this.queues.set(key, queue);
    }
    return queue;
  }

  /** Registers a task (new or loaded) in every index. */
  indexTask(rec: TaskRecord): void {
    const jobKey = rec.jobId.toLowerCase();
    this.tasks.set(taskKey(rec.jobId, rec.wire.id), rec);
    let list = this.jobTasks.get(jobKey);
    if (!list) {
      list = [];
      this.jobTasks.set(jobKey, list);
    }
    list.push(rec);
    this.adjust(rec, 1);
    if (rec.wire.state === 'active') this.queueOf(rec.jobId).add(rec);
  }

  /** Removes a task from every index (its process must already be stopped). */
  unindexTask(rec: TaskRecord): void {
    const key = taskKey(rec.jobId, rec.wire.id);
    if (this.tasks.get(key) !== rec) return;
    this.tasks.delete(key);
    this.adjust(rec, -1);
    this.queueOf(rec.jobId).delete(rec);
    this.store.touch('task', key, () => null);
    const list = this.jobTasks.get(rec.jobId.toLowerCase());
    if (list && list.length > 64 && list.length > 2 * this.countsTotal(rec.jobId)) {
      this.jobTasks.set(
        rec.jobId.toLowerCase(),
        list.filter((t) => this.tasks.get(taskKey(t.jobId, t.wire.id)) === t),
      );
    }
  }

  countsTotal(jobId: string): number {
    const c = this.countsOf(jobId);
    return c.active + c.running + c.completed;
  }

  snapshot(): JournalEntry[] {
    const entries: JournalEntry[] = [{ t: 'meta', k: 'seq', v: this.seq }];
    for (const [k, pool] of this.pools) entries.push({ t: 'pool', k, v: persistPool(pool) });
    for (const [k, job] of this.jobs) entries.push({ t: 'job', k, v: job });
    for (const [k, task] of this.tasks) entries.push({ t: 'task', k, v: persistTask(task) });
    return entries;
  }

  /** Stops timers and writes what is left of the state; running processes are killed by the caller first. */
  async shutdown(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.processes.close();
    await this.store.close();
  }
}

function counters(map: Map<string, TaskCounts>, jobId: string): TaskCounts {
  const key = jobId.toLowerCase();
  let counts = map.get(key);
  if (!counts) {
    counts = { active: 0, running: 0, completed: 0, succeeded: 0, failed: 0 };
    map.set(key, counts);
  }
  return counts;
}

function count(counts: TaskCounts, rec: TaskRecord, sign: number, weight: number): void {
  const delta = sign * weight;
  const state = rec.wire.state;
  if (state === 'active') counts.active += delta;
  else if (state === 'running' || state === 'preparing') counts.running += delta;
  else {
    counts.completed += delta;
    if (rec.wire.executionInfo.result === 'failure') counts.failed += delta;
    else counts.succeeded += delta;
  }
}


export function persistTask(rec: TaskRecord): unknown {
  return rec;
}

export function persistPool(rec: PoolRecord): unknown {
  return {
    seq: rec.seq,
    wire: rec.wire,
    nodeDeallocationOption: rec.nodeDeallocationOption,
    nodes: [...rec.nodes.values()].map((n) => ({ ...n, running: undefined })),
  };
}
