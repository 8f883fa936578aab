/**
 * One shared poller per worker: every interval it lists each watched job's tasks ONCE (`$select` keeps the
 * payload small, pages of 1,000) and tells every awaiting activity of that job what it saw. So Batch sees a
 * steady number of requests per second whatever the number of LADs awaiting; a 1,000-LAD job costs one or two
 * list requests per interval, not 1,000 gets.
 */
import type { BatchServiceClient, BatchServiceModels } from '@azure/batch';
import { batchSignal } from './clients';
import { isTransient, retryAfterMs } from './errors';

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

const SELECT = 'id,state,executionInfo,nodeInfo';

/** Counts of list requests made, for tests and the benchmark. */
export interface PollerStats {
  polls: number;
  requests: number;
}

export class TaskPoller {
  private readonly jobs = new Map<string, Set<Watcher>>();
  private timer: NodeJS.Timeout | undefined;
  private backoffUntil = 0;
  readonly stats: PollerStats = { polls: 0, requests: 0 };

  constructor(private readonly batch: BatchServiceClient) {}

  /**
   * Watches a task until the returned function is called.
   * @param intervalMs the watcher's wanted poll interval; the poller uses the smallest among watchers
   */
  watch(jobId: string, taskId: string, intervalMs: number, notify: (event: PollEvent) => void): () => void {
    const watcher: Watcher = { taskId, intervalMs, notify };
    let set = this.jobs.get(jobId);
    if (!set) this.jobs.set(jobId, (set = new Set()));
    set.add(watcher);
    this.schedule();
    return () => {
      set.delete(watcher);
      if (set.size === 0) this.jobs.delete(jobId);
    };
  }

  /** Stops polling (worker shutdown). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.jobs.clear();
  }

  private interval(): number {
    let min = 60_000;
    for (const set of this.jobs.values()) for (const w of set) min = Math.min(min, w.intervalMs);
    return min;
  }

  private schedule(): void {
    if (this.timer || this.jobs.size === 0) return;
    const delay = Math.max(this.interval(), this.backoffUntil - Date.now());
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.stats.polls += 1;
    try {
      await Promise.all([...this.jobs.keys()].map((jobId) => this.pollJob(jobId)));
    } finally {
      this.timer = undefined;
      this.schedule();
    }
  }

  private async pollJob(jobId: string): Promise<void> {
    let tasks: Map<string, TaskSnapshot>;
    try {
      tasks = await this.listTasks(jobId);
    } catch (err) {
      const transient = isTransient(err);
      if (transient) this.backoffUntil = Date.now() + (retryAfterMs(err) ?? 2 * this.interval());
      for (const w of this.jobs.get(jobId) ?? []) w.notify(transient ? { kind: 'unavailable', error: err } : { kind: 'fatal', error: err });
      return;
    }
    for (const w of [...(this.jobs.get(jobId) ?? [])]) {
      const task = tasks.get(w.taskId);
      w.notify(task ? { kind: 'seen', task } : { kind: 'absent' });
    }
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
