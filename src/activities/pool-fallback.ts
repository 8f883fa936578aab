/**
 * VM-size fallback of a run's own pool. Azure cannot change a pool's vmSize, and a job's pool can only be swapped
 * while the job is disabled; so the pool is deleted (only while it has no node: nothing runs on it) and made again
 * under the same id with the next size. The job keeps naming it, and its tasks wait while it is gone, as Batch lets
 * them; the tags, the reaper and the cleanup see the same pool id throughout.
 */
import { Context, heartbeat, log } from '@temporalio/activity';
import type { BatchServiceClient } from '@azure/batch';
import type { PoolTarget } from '../schemas/progress';
import type { PoolSpec, Recipe } from '../schemas/run-input';
import { batchSignal } from './clients';
import { codeOf, statusOf, toFailure } from './errors';
import { ensurePool, getPool, runIdentityOf, type PrepareDeps } from './prepare';

export interface ReplacePoolRequest {
  runId: string;
  runChain?: string;
  poolId: string;
  container: string;
  recipe: Recipe;
  pool: PoolSpec;
  /** The VM size to make the pool with. */
  vmSize: string;
  /** The pool's targets now (the user may have scaled it since prepare). */
  target: PoolTarget;
}

export type ReplacePoolResult = { replaced: true } | { replaced: false; why: string };

const GONE_POLL_MS = 1000;

export function createPoolFallbackActivities(deps: PrepareDeps & { batch: BatchServiceClient }) {
  return {
    /** Deletes the run's pool (no node on it) and makes it again with `vmSize`; idempotent. */
    async replacePoolVmSize(req: ReplacePoolRequest): Promise<ReplacePoolResult> {
      const signal = () => batchSignal(Context.current().cancellationSignal);
      const current = await getPool(deps.batch, req.poolId);
      const deleting = String(current?.state ?? '').toLowerCase() === 'deleting';
      if (current && !deleting && current.vmSize?.toLowerCase() === req.vmSize.toLowerCase()) return { replaced: true };
      if (current && !deleting) {
        const nodes = (current.currentDedicatedNodes ?? 0) + (current.currentLowPriorityNodes ?? 0);
        if (nodes > 0) return { replaced: false, why: `the pool has ${nodes} node(s) of ${current.vmSize} now` };
        try {
          await deps.batch.pool.deleteMethod(req.poolId, { abortSignal: signal() });
        } catch (err) {
          if (!(statusOf(err) === 404 || (statusOf(err) === 409 && codeOf(err) === 'PoolBeingDeleted'))) throw toFailure(err, `pool delete ${req.poolId}`);
        }
      }
      // Its id is taken until the deletion completes (409 PoolBeingDeleted before).
      while (await getPool(deps.batch, req.poolId)) {
        heartbeat();
        await new Promise((r) => setTimeout(r, GONE_POLL_MS));
      }
      const spec = { ...req.pool, vmSize: req.vmSize, dedicatedNodes: req.target.targetDedicated, lowPriorityNodes: req.target.targetLowPriority };
      await ensurePool(deps, { runId: req.runId, recipe: req.recipe, pool: spec, runChain: req.runChain }, runIdentityOf(req.runId, req.runChain), req.poolId, req.container);
      log.info('pool made again with the next VM size', { poolId: req.poolId, vmSize: req.vmSize });
      return { replaced: true };
    },
  };
}
