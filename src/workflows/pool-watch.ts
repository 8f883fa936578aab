/**
 * The run's watch on its pool, beside the fan-out: a long `watchPool` activity that returns every
 * `poolWatch.reportMs` (the cost estimate, the budget) or when the run must act: a pool the run created got no node
 * for lack of capacity or quota (it is made again with the next of `pool.vmSizes`, recorded in the audit trail),
 * or the pool has had no node past `poolWatch.zeroNodesMs` (the reason goes to progress, memo and audit).
 */
import { CancellationScope, isCancellation, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { SpcActivities } from '../activities';
import type { NormalisedRunInput } from '../schemas/run-input';
import type { RunState } from '../schemas/run-state';
import { NON_RETRYABLE_ERROR_TYPES } from './activity-options';
import { applyVmSizeChange, applyWatchReport, newPoolWatchState } from './pool-watch-state';
import { publishRunMemo } from './run-memo';
import * as rs from './run-state';

/** A running watch; `stop` ends it, with one last reading when asked (the run's final node time). */
export interface PoolWatch {
  stop(finalReading: boolean): Promise<void>;
}

/** Starts the watch on the run's pool; `onChange` wakes the fan-out (budget, memo). */
export function startPoolWatch(input: NormalisedRunInput, state: RunState, vmSizeIndex: number, onChange: () => void): PoolWatch {
  const prepared = state.prepared!;
  state.poolWatch ??= newPoolWatchState(input.pool.vmSizes, vmSizeIndex, input.budget);
  const watch = state.poolWatch;
  const { pollMs, reportMs, zeroNodesMs } = input.poolWatch;
  const { watchPool } = proxyActivities<SpcActivities>({
    // Returns every reportMs; a dead worker is noticed after a few missed polls.
    startToCloseTimeout: reportMs + 5 * 60_000,
    heartbeatTimeout: Math.max(30_000, 3 * pollMs),
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
    summary: 'watch the pool: node time, capacity',
  });
  const { replacePoolVmSize } = proxyActivities<SpcActivities>({
    // Azure takes minutes to delete a pool; the activity heartbeats while it waits for the id to be free.
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '2 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
    summary: 'make the pool again with the next VM size',
  });
  const request = (once: boolean) => ({
    poolId: prepared.poolId,
    pollMs,
    reportMs,
    zeroNodesMs,
    ...(watch.last && { last: watch.last }),
    ...(watch.zeroNodesSince !== undefined && { zeroNodesSince: watch.zeroNodesSince }),
    ...(watch.stuck && { stuck: watch.stuck }),
    fallBack: (prepared.poolCreated ?? input.pool.id === 'create') && watch.vmSizeIndex + 1 < input.pool.vmSizes.length && !state.stop,
    ...(input.cost.ratesFile && { ratesFile: input.cost.ratesFile }),
    ...(once && { once: true }),
  });

  /** Makes the pool again with the next size; its outcome is in the audit trail. */
  const fallBack = async (code: string, message: string): Promise<void> => {
    const from = input.pool.vmSizes[watch.vmSizeIndex];
    const next = watch.vmSizeIndex + 1;
    const to = input.pool.vmSizes[next];
    const result = await replacePoolVmSize({
      runId: input.runId,
      runChain: workflowInfo().firstExecutionRunId,
      poolId: prepared.poolId,
      container: prepared.container,
      recipe: input.recipe,
      pool: input.pool,
      vmSize: to,
      target: state.pool ?? { id: prepared.poolId, targetDedicated: input.pool.dedicatedNodes, targetLowPriority: input.pool.lowPriorityNodes },
    });
    if (result.replaced) {
      applyVmSizeChange(watch, next, to, Date.now());
      rs.audit(state, Date.now(), 'vm size fallback', `pool ${prepared.poolId}: ${from} -> ${to}`, `${code}: ${message}`);
    } else rs.audit(state, Date.now(), 'vm size fallback skipped', `pool ${prepared.poolId} stays ${from}`, result.why);
  };

  const scope = new CancellationScope();
  const running = scope
    .run(async () => {
      for (;;) {
        const report = await watchPool(request(false));
        applyWatchReport(watch, report);
        if (report.kind === 'allocation-failed' && report.resizeError) await fallBack(report.resizeError.code, report.resizeError.message);
        else if (report.kind === 'stuck') rs.audit(state, Date.now(), 'pool has no node', `pool ${prepared.poolId} (${watch.vmSize}) since ${new Date(watch.zeroNodesSince ?? Date.now()).toISOString()}`, report.stuck);
        else if (report.kind === 'unstuck') rs.audit(state, Date.now(), 'pool has nodes again', `pool ${prepared.poolId}`);
        // One memo update per report (every reportMs at most, besides events): the Web UI's live cost and capacity.
        publishRunMemo(state, 'pool watch');
        onChange();
      }
    })
    .catch((err: unknown) => {
      // The watch informs; it never fails the run (its activity retries transient errors on its own).
      if (!isCancellation(err)) {
        log.warn('pool watch stopped', { error: (err as Error).message });
        rs.audit(state, Date.now(), 'pool watch stopped', (err as Error).message);
      }
    });
  return {
    async stop(finalReading: boolean): Promise<void> {
      scope.cancel();
      await running;
      if (!finalReading) return;
      try {
        applyWatchReport(watch, await watchPool({ ...request(true), fallBack: false }));
      } catch (err) {
        log.warn('last pool reading failed', { error: (err as Error).message });
      }
    },
  };
}
