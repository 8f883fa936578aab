/**
 * The run's watch on its pool: one pool read per `pollMs` (O(1) Batch requests per interval whatever the run's
 * size), integrating the nodes it has into node time by VM size and priority (the cost), and tracking how long it
 * has had no node. It returns to the run every `reportMs`, or at once when the run must act: the pool got no node
 * for lack of capacity or quota (a next VM size exists), it has had none past `zeroNodesMs`, or it has nodes again.
 * A retry resumes from its heartbeat, so no node time is lost or counted twice.
 */
import { activityInfo, CancelledFailure, Context, heartbeat, log } from '@temporalio/activity';
import type { BatchServiceClient, BatchServiceModels } from '@azure/batch';
import { addNodeTime, type NodeTime, type RunRates } from '../schemas/cost';
import { isFallbackCode, type PoolReading, type WatchReport } from '../schemas/pool-watch';
import { batchSignal } from './clients';
import { statusOf, toFailure } from './errors';
import { loadRates, ratesFor } from './rates';

export interface WatchPoolRequest {
  poolId: string;
  pollMs: number;
  reportMs: number;
  zeroNodesMs: number;
  /** The run's last reading: node time is counted from it (none is lost between two watches). */
  last?: PoolReading;
  zeroNodesSince?: number;
  /** The run already says the pool is stuck (so only a change is news). */
  stuck?: string;
  /** Return at once on an allocation failure for capacity or quota (the run has a next VM size). */
  fallBack: boolean;
  /** The run's `cost.ratesFile` (the shipped file when absent). */
  ratesFile?: string;
  /** Read once and return (the run's last reading before it finalizes). */
  once?: boolean;
}

/** What a retry resumes from. */
interface WatchProgress {
  nodeTime: NodeTime[];
  last?: PoolReading;
  zeroNodesSince?: number;
  startedAt: number;
}

/** Nodes a pool has: allocated ones of each priority, in whatever state (Batch bills from allocation). */
function readingOf(pool: BatchServiceModels.CloudPool | undefined, at: number, fallbackVmSize: string): PoolReading {
  return { at, vmSize: (pool?.vmSize ?? fallbackVmSize).toLowerCase(), dedicated: pool?.currentDedicatedNodes ?? 0, spot: pool?.currentLowPriorityNodes ?? 0 };
}

/** Node time from `from` to `to`, at `from`'s counts. */
export function nodeTimeBetween(from: PoolReading, to: number): NodeTime[] {
  const ms = Math.max(0, to - from.at);
  return [
    { vmSize: from.vmSize, priority: 'dedicated' as const, nodeMs: from.dedicated * ms },
    { vmSize: from.vmSize, priority: 'spot' as const, nodeMs: from.spot * ms },
  ].filter((t) => t.nodeMs > 0);
}

/** Why a pool without nodes has none: its first resize error, or that it is still allocating. */
export function zeroNodesReason(pool: BatchServiceModels.CloudPool | undefined): string {
  const error = pool?.resizeErrors?.[0];
  if (error) return `${error.code ?? 'ResizeError'}: ${error.message ?? ''}`.trim();
  if (!pool) return 'the pool does not exist (being made again?)';
  return String(pool.allocationState ?? '').toLowerCase() === 'steady' ? 'steady with no node' : 'allocating';
}

/**
 * The watch a run stopped (cancelled when its fan-out ended), by workflow run and pool: what it measured since its
 * last report, for the run's last reading to go on from (on this worker; on another, that stretch is not counted).
 * Cancellation reaches an activity only with a heartbeat answer, seconds later, so the last reading takes the
 * entry over and the stopped watch, seeing it taken, ends.
 */
const STALE_WATCH_MS = 3_600_000;

interface WatchEntry {
  progress: WatchProgress;
  taken: boolean;
}

export function createPoolWatchActivities(deps: { batch: BatchServiceClient }) {
  const watches = new Map<string, WatchEntry>();
  return {
    /** Watches the run's pool until there is something to report (see the module comment). */
    async watchPool(req: WatchPoolRequest): Promise<WatchReport> {
      const info = activityInfo();
      const key = `${info.workflowExecution?.runId ?? ''}/${req.poolId}`;
      const left = req.once ? watches.get(key) : undefined;
      if (left) {
        left.taken = true;
        watches.delete(key);
      }
      const resumed = info.attempt > 1 ? (info.heartbeatDetails as WatchProgress | undefined) : undefined;
      const fresh = { nodeTime: [], last: req.last, zeroNodesSince: req.zeroNodesSince, startedAt: Date.now() };
      const progress: WatchProgress = resumed ?? (left ? { ...structuredClone(left.progress), startedAt: Date.now() } : fresh);
      const entry: WatchEntry = { progress, taken: false };
      if (!req.once) {
        // A run that failed or was cancelled takes no last reading: forget its watch after a while.
        for (const [k, e] of watches) if (Date.now() - (e.progress.last?.at ?? e.progress.startedAt) > STALE_WATCH_MS) watches.delete(k);
        watches.set(key, entry);
      }
      const signal = Context.current().cancellationSignal;
      try {
        return await watchLoop(deps.batch, req, entry, signal);
      } finally {
        if (watches.get(key) === entry && !signal.aborted) watches.delete(key);
      }
    },
  };
}

async function watchLoop(
  batch: BatchServiceClient,
  req: WatchPoolRequest,
  entry: WatchEntry,
  signal: AbortSignal,
): Promise<WatchReport> {
  const progress = entry.progress;
  let rates: RunRates | undefined;
  for (;;) {
    if (entry.taken) throw new CancelledFailure('pool watch taken over by the last reading');
    const pool = await getPoolOrNone(batch, req.poolId, signal);
    if (entry.taken) throw new CancelledFailure('pool watch taken over by the last reading');
    const now = Date.now();
    const reading = readingOf(pool, now, progress.last?.vmSize ?? 'unknown');
    if (progress.last) addNodeTime(progress.nodeTime, nodeTimeBetween(progress.last, now));
    progress.last = reading;
    const target = (pool?.targetDedicatedNodes ?? 0) + (pool?.targetLowPriorityNodes ?? 0);
    const zero = reading.dedicated + reading.spot === 0 && target > 0;
    progress.zeroNodesSince = zero ? (progress.zeroNodesSince ?? now) : undefined;
    heartbeat(progress);
    rates ??= await ratesOf(req.ratesFile, reading.vmSize);
    const report = (kind: WatchReport['kind'], extra: Partial<WatchReport> = {}): WatchReport => ({
      kind,
      nodeTime: progress.nodeTime,
      last: reading,
      ...(progress.zeroNodesSince !== undefined && { zeroNodesSince: progress.zeroNodesSince }),
      ...(rates && { rates }),
      ...extra,
    });
    const steady = String(pool?.allocationState ?? '').toLowerCase() === 'steady';
    const error = pool?.resizeErrors?.find((e) => isFallbackCode(e.code));
    if (req.fallBack && zero && steady && error) {
      return report('allocation-failed', { resizeError: { code: error.code ?? '', message: error.message ?? '' }, stuck: zeroNodesReason(pool) });
    }
    if (zero && now - progress.zeroNodesSince! >= req.zeroNodesMs) {
      const why = zeroNodesReason(pool);
      if (why !== req.stuck) return report('stuck', { stuck: why });
    } else if (!zero && req.stuck) return report('unstuck');
    if (req.once || now - progress.startedAt >= req.reportMs) return report('report');
    await sleepOrCancel(req.pollMs, signal);
  }
}

/** The rates of `vmSize`, or none when the file cannot be read now (the run goes on; its estimate says so). */
async function ratesOf(ratesFile: string | undefined, vmSize: string): Promise<RunRates | undefined> {
  try {
    return ratesFor(await loadRates(ratesFile), vmSize);
  } catch (err) {
    log.warn('rates file unreadable; node time is counted but not priced', { error: (err as Error).message });
    return undefined;
  }
}

async function getPoolOrNone(batch: BatchServiceClient, poolId: string, signal: AbortSignal): Promise<BatchServiceModels.CloudPool | undefined> {
  try {
    return await batch.pool.get(poolId, { abortSignal: batchSignal(signal) });
  } catch (err) {
    // Gone (deleted, or being made again with another VM size): no nodes, nothing asked for.
    if (statusOf(err) === 404) return undefined;
    throw toFailure(err, `pool get ${poolId}`);
  }
}

function sleepOrCancel(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new CancelledFailure('pool watch cancelled'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledFailure('pool watch cancelled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
