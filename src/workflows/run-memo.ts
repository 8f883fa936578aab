/**
 * The run's key figures in its memo, for the Temporal Web UI: LAD counts by state, pool, container, job. Updated at a
 * few milestones only (prepared, fan-out over, finished), never per LAD, so the history stays small; live figures
 * come from the `progress` query.
 */
import { patched, upsertMemo } from '@temporalio/workflow';
import type { RunState } from '../schemas/run-state';
import { capacityOf, costOf } from './pool-watch-state';
import { progressOf } from './run-state';

/** Memo key holding the figures. */
export const RUN_MEMO_KEY = 'spc';

/** Writes the run's figures to its memo (gated by a patch: runs started before it replay without it). */
export function publishRunMemo(state: RunState, milestone: 'waiting for the job quota' | 'prepared' | 'pool watch' | 'lads finished' | 'finished'): void {
  if (!patched('spc-run-memo')) return;
  const { counts, eta, order } = progressOf(state, { limit: 0 });
  upsertMemo({
    [RUN_MEMO_KEY]: {
      milestone,
      status: state.status,
      counts,
      ...(order && { order: `${order.used}: ${order.reason}` }),
      ...(eta && { eta: eta.endsAt, expectedWorkLeftMs: eta.remainingWorkMs }),
      ...(state.pool && { pool: state.pool }),
      ...(state.prepared && { container: state.prepared.container, jobId: state.prepared.jobId }),
      ...(state.poolWatch && { capacity: capacityOf(state), cost: costOf(state) }),
    },
  });
}
