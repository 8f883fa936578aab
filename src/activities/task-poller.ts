/**
 * One shared poller per worker: every interval it lists each watched job's tasks ONCE (`$select` keeps the
 * payload small, pages of 1,000) and tells every awaiting activity of that job what it saw. So Batch sees a
 * steady number of requests per second whatever the number of LADs awaiting; a 1,000-LAD job costs one or two
 * list requests per interval, not 1,000 gets.
 *
 * It also admits new tasks as the job's pool can take them (see job-capacity.ts): it reads the pool every
 * {@link POOL_REFRESH_MS} (every poll while the pool is short of its target), and while doing so re-signs the start
 * task of a run's pool when due (start-task-renewal.ts).
 */
import type { BatchServiceClient, BatchServiceModels } from '@azure/batch';
import type { BlobServiceClient } from '@azure/storage-blob';
import { ApplicationFailure } from '@temporalio/activity';
import { batchSignal } from './clients';
import { BATCH_AUTH, isTransient, messageOf, retryAfterMs, statusOf } from './errors';
import { poolCatchingUp, roomFor, type PoolCapacity } from './job-capacity';
import { renewStartTaskIfDue } from './start-task-renewal';

/** What an awaiting activity needs to know about its task. */
export interface TaskSnapshot {
  id: string;
  state: string;
  nodeId?: string;
  startTime?: string;
  endTime?: string;
  exitCode?: number;
  result?: string;
  failureCode?: string;
  failureMessage?: string;
}

/** What a watcher hears on each poll. */
export type PollEvent =
  | { kind: 'seen'; task: TaskSnapshot }
  | { kind: 'absent' }
  | { kind: 'unavailable'; error: unknown }
  | { kind: 'fatal'; error: unknown };

interface Watcher {
  taskId: string;
  intervalMs: number;
  notify(event: PollEvent): void;
}

/** A task admitted for submission; counted against the job's room until a listing taken after its add shows it. */
interface Ticket {
  addedAt?: number;
  released: boolean;
  /** Admitted in rank order: the next ranked waiter waits for this add, so Batch queues the tasks in that order. */
  ranked: boolean;
}

interface Waiter {
  intervalMs: number;
  /** Place in the run's start order (longest first); unranked waiters go after, first come first served. */
  rank: number;
  admit(ticket: Ticket): void;
  fail(err: unknown): void;
}

/** Per job: its pool, the last load seen, admissions not yet listed, auth failures in a row. */
interface JobView {
  watchers: Set<Watcher>;
  waiters: Waiter[];
  tickets: Set<Ticket>;
  poolId?: string;
  pool?: PoolCapacity;
  poolReadAt: number;
  queuedOrRunning?: number;
  /** Completed tasks in the last listing, and how many more than in the one before (capacity's headroom). */
  completed?: number;
  finishedLastInterval?: number;
  authFailures: { count: number; sinceMs: number };
}

const SELECT = 'id,state,executionInfo,nodeInfo';
/** How often the pool is read when it has all its nodes (capacity, start-task renewal). */
export const POOL_REFRESH_MS = 15_000;
/**
 * 401/403 on listing is retried, with backoff, until it has lasted this long and this many times: a clock step or a
 * key rotation heals in seconds, and one bad answer must not fail every LAD in flight.
 */
export const AUTH_FAILURE_PATIENCE = { count: 5, ms: 60_000 };

/** Counts of list requests made, for tests and the benchmark. */
export interface PollerStats {
  polls: number;
  requests: number;
}

export interface TaskPollerOptions {
  /** Re-signs run pools' start tasks when given. */
  blobs?: BlobServiceClient;
  /** Validity of start-task SAS URLs, ms. */
  startTaskSasMs?: number;
  /** Names the credential to check in a persistent auth failure, e.g. `AZURE_BATCH_KEY of account x`. */
  credentialHint?: string;
}

export class TaskPoller {
  private readonly jobs = new Map<string, JobView>();
  private timer: NodeJS.Timeout | undefined;
  private timerDueAt = 0;
  private ticking = false;
  private backoffUntil = 0;
  readonly stats: PollerStats = { polls: 0, requests: 0 };

  constructor(
    private readonly batch: BatchServiceClient,
    private readonly options: TaskPollerOptions = {},
  ) {}

  /**
   * Watches a task until the returned function is called.
   * @param intervalMs the watcher's wanted poll interval; the poller uses the smallest among watchers
   */
  watch(jobId: string, taskId: string, intervalMs: number, notify: (event: PollEvent) => void): () => void {
    const watcher: Watcher = { taskId, intervalMs, notify };
    const view = this.viewOf(jobId);
    view.watchers.add(watcher);
    this.schedule();
    return () => {
      view.watchers.delete(watcher);
      this.forgetIfIdle(jobId, view);
    };
  }

  /**
   * Waits until the job's pool has room for one more task, then returns a function to call once the task is added
   * (or given up). Rejects on a fatal listing error or when `abortSignal` fires.
   */
  admit(jobId: string, intervalMs: number, abortSignal?: AbortSignal, rank?: number): Promise<(added: boolean) => void> {
    const view = this.viewOf(jobId);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        view.waiters = view.waiters.filter((w) => w !== waiter);
        this.forgetIfIdle(jobId, view);
        reject(abortSignal?.reason ?? new Error('aborted'));
      };
      const waiter: Waiter = {
        intervalMs,
        rank: rank ?? Infinity,
        admit: (ticket) => {
          abortSignal?.removeEventListener('abort', onAbort);
          resolve((added) => {
            if (ticket.released) return;
            if (added) ticket.addedAt = Date.now();
            else this.release(view, ticket);
            if (ticket.ranked) this.admitWaiters(view);
            this.forgetIfIdle(jobId, view);
          });
        },
        fail: (err) => {
          abortSignal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      if (abortSignal?.aborted) return onAbort();
      abortSignal?.addEventListener('abort', onAbort, { once: true });
      // Lowest rank first; equal ranks (and unranked waiters) in arrival order.
      const at = view.waiters.findIndex((w) => w.rank > waiter.rank);
      view.waiters.splice(at === -1 ? view.waiters.length : at, 0, waiter);
      this.admitWaiters(view);
      this.schedule();
    });
  }

  /** Stops polling (worker shutdown). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.jobs.clear();
  }

  private viewOf(jobId: string): JobView {
    let view = this.jobs.get(jobId);
    if (!view) {
      view = { watchers: new Set(), waiters: [], tickets: new Set(), poolReadAt: 0, authFailures: { count: 0, sinceMs: 0 } };
      this.jobs.set(jobId, view);
    }
    return view;
  }

  private forgetIfIdle(jobId: string, view: JobView): void {
    if (view.watchers.size === 0 && view.waiters.length === 0 && view.tickets.size === 0 && this.jobs.get(jobId) === view) this.jobs.delete(jobId);
  }

  private release(view: JobView, ticket: Ticket): void {
    ticket.released = true;
    view.tickets.delete(ticket);
  }

  private interval(): number {
    let min = 60_000;
    for (const view of this.jobs.values()) {
      for (const w of view.watchers) min = Math.min(min, w.intervalMs);
      for (const w of view.waiters) min = Math.min(min, w.intervalMs);
    }
    return min;
  }

  /** Sets the next tick; a watcher wanting sooner polls than the timer set (e.g. when nobody watched) moves it earlier. */
  private schedule(): void {
    if (this.ticking || this.jobs.size === 0) return;
    const dueAt = Date.now() + Math.max(this.interval(), this.backoffUntil - Date.now());
    if (this.timer && this.timerDueAt <= dueAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDueAt = dueAt;
    this.timer = setTimeout(() => void this.tick(), dueAt - Date.now());
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.stats.polls += 1;
    this.timer = undefined;
    this.ticking = true;
    try {
      await Promise.all([...this.jobs].map(([jobId, view]) => this.pollJob(jobId, view)));
    } finally {
      this.ticking = false;
      this.schedule();
    }
  }

  private async pollJob(jobId: string, view: JobView): Promise<void> {
    const listedFrom = Date.now();
    let tasks: Map<string, TaskSnapshot>;
    try {
      tasks = await this.listTasks(jobId);
      if (view.waiters.length > 0 || view.tickets.size > 0) await this.refreshPool(jobId, view);
    } catch (err) {
      this.onPollError(view, err);
      return;
    }
    view.authFailures.count = 0;
    view.queuedOrRunning = [...tasks.values()].filter((t) => t.state === 'active' || t.state === 'preparing' || t.state === 'running').length;
    const completed = [...tasks.values()].filter((t) => t.state === 'completed').length;
    view.finishedLastInterval = view.completed === undefined ? 0 : Math.max(0, completed - view.completed);
    view.completed = completed;
    // Tickets whose task was added before this listing began are in it now.
    for (const ticket of [...view.tickets]) if (ticket.addedAt !== undefined && ticket.addedAt < listedFrom) this.release(view, ticket);
    for (const w of [...view.watchers]) {
      const task = tasks.get(w.taskId);
      w.notify(task ? { kind: 'seen', task } : { kind: 'absent' });
    }
    this.admitWaiters(view);
  }

  private admitWaiters(view: JobView): void {
    if (!view.pool || view.queuedOrRunning === undefined) return;
    let room = roomFor(view.pool, { queuedOrRunning: view.queuedOrRunning, finishedLastInterval: view.finishedLastInterval }, view.tickets.size);
    // Ranked tasks are added one at a time (each waits for the add before it) so that Batch, which runs a job's
    // queued tasks in the order they were added, starts them in rank order: a few ms per task, in bursts only.
    const rankedAdding = () => [...view.tickets].some((t) => t.ranked && t.addedAt === undefined && !t.released);
    while (room > 0 && view.waiters.length > 0) {
      const ranked = view.waiters[0].rank !== Infinity;
      if (ranked && rankedAdding()) return;
      const ticket: Ticket = { released: false, ranked };
      view.tickets.add(ticket);
      view.waiters.shift()!.admit(ticket);
      room -= 1;
    }
  }

  /** Reads the job's pool when due: capacity for admissions, and the start task's renewal. */
  private async refreshPool(jobId: string, view: JobView): Promise<void> {
    const now = Date.now();
    if (view.pool && !poolCatchingUp(view.pool) && now - view.poolReadAt < POOL_REFRESH_MS) return;
    this.stats.requests += 1;
    if (!view.poolId) {
      const job = await this.batch.job.get(jobId, { abortSignal: batchSignal(undefined, 30_000) });
      view.poolId = job.poolInfo?.poolId;
    }
    if (!view.poolId) return;
    this.stats.requests += 1;
    const pool = await this.batch.pool.get(view.poolId, { abortSignal: batchSignal(undefined, 30_000) }).catch((err: unknown) => {
      if (statusOf(err) === 404) return undefined;
      throw err;
    });
    view.poolReadAt = now;
    if (!pool) {
      // Gone for a while: a VM-size fallback deletes the run's pool and makes it again under the same id (the job's
      // tasks wait meanwhile). No slots then, and read again at the next poll.
      view.pool = { currentNodes: 0, targetNodes: 1, taskSlotsPerNode: view.pool?.taskSlotsPerNode ?? 1 };
      return;
    }
    view.pool = {
      currentNodes: (pool.currentDedicatedNodes ?? 0) + (pool.currentLowPriorityNodes ?? 0),
      targetNodes: (pool.targetDedicatedNodes ?? 0) + (pool.targetLowPriorityNodes ?? 0),
      taskSlotsPerNode: pool.taskSlotsPerNode ?? 1,
    };
    if (this.options.blobs && this.options.startTaskSasMs) {
      await renewStartTaskIfDue(this.batch, this.options.blobs, pool, this.options.startTaskSasMs).catch(() => undefined);
    }
  }

  private onPollError(view: JobView, err: unknown): void {
    const status = statusOf(err);
    const auth = status === 401 || status === 403;
    let event: PollEvent;
    if (auth) {
      const failures = view.authFailures;
      if (failures.count === 0) failures.sinceMs = Date.now();
      failures.count += 1;
      const persistent = failures.count >= AUTH_FAILURE_PATIENCE.count && Date.now() - failures.sinceMs >= AUTH_FAILURE_PATIENCE.ms;
      this.backoffUntil = Date.now() + Math.min(30_000, this.interval() * 2 ** failures.count);
      event = persistent ? { kind: 'fatal', error: this.persistentAuthFailure(err, failures.count, Date.now() - failures.sinceMs) } : { kind: 'unavailable', error: err };
    } else if (isTransient(err)) {
      this.backoffUntil = Date.now() + (retryAfterMs(err) ?? 2 * this.interval());
      event = { kind: 'unavailable', error: err };
    } else {
      event = { kind: 'fatal', error: err };
    }
    for (const w of [...view.watchers]) w.notify(event);
    if (event.kind === 'fatal') for (const w of view.waiters.splice(0)) w.fail(event.error);
  }

  private persistentAuthFailure(err: unknown, count: number, forMs: number): ApplicationFailure {
    const credential = this.options.credentialHint ?? 'the Batch credential';
    return ApplicationFailure.nonRetryable(
      `Batch refused the worker's credentials ${count} times over ${Math.round(forMs / 1000)} s (${statusOf(err)} ${messageOf(err)}): check ${credential} and the worker's clock`,
      BATCH_AUTH,
    );
  }

  private async listTasks(jobId: string): Promise<Map<string, TaskSnapshot>> {
    const tasks = new Map<string, TaskSnapshot>();
    this.stats.requests += 1;
    let page = await this.batch.task.list(jobId, { taskListOptions: { select: SELECT, maxResults: 1000 }, abortSignal: batchSignal(undefined, 30_000) });
    for (;;) {
      for (const t of page) if (t.id) tasks.set(t.id, snapshotOf(t));
      if (!page.odatanextLink) return tasks;
      this.stats.requests += 1;
      page = await this.batch.task.listNext(page.odatanextLink, { abortSignal: batchSignal(undefined, 30_000) });
    }
  }
}

const iso = (d: Date | undefined): string | undefined => (d ? new Date(d).toISOString() : undefined);

/** The parts of a Batch task we keep; the SDK parses dates into Date objects. */
export function snapshotOf(t: BatchServiceModels.CloudTask): TaskSnapshot {
  const exec = t.executionInfo;
  return {
    id: t.id ?? '',
    state: String(t.state ?? 'unknown').toLowerCase(),
    ...(t.nodeInfo?.nodeId && { nodeId: t.nodeInfo.nodeId }),
    ...(exec?.startTime && { startTime: iso(exec.startTime) }),
    ...(exec?.endTime && { endTime: iso(exec.endTime) }),
    ...(exec?.exitCode !== undefined && exec.exitCode !== null && { exitCode: exec.exitCode }),
    ...(exec?.result && { result: String(exec.result).toLowerCase() }),
    ...(exec?.failureInfo?.code && { failureCode: exec.failureInfo.code }),
    ...(exec?.failureInfo?.message && { failureMessage: exec.failureInfo.message }),
  };
}
