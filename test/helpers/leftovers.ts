/**
 * The test teardown's leak check (issue 9): after a suite, the Batch service must hold no pool with nodes and no
 * active job of a finished run. "Of a run" means tagged with `spc-workflow-id` (src/schemas/batch-tags.ts); what a
 * run kept on purpose (`spc-keep`) and untagged resources (raw local-batch tests) are not leftovers.
 */
import type { BatchServiceClient } from '@azure/batch';
import type { Client } from '@temporalio/client';
import { livenessOf } from '../../src/activities/run-liveness';
import { isKept, readRunTags, type BatchMetadata } from '../../src/schemas/batch-tags';

/** Job states in which a job can still run tasks. */
const ACTIVE_JOB_STATES = new Set(['active', 'disabled', 'disabling', 'enabling', 'terminating']);

interface Candidate {
  what: string;
  metadata: BatchMetadata;
}

/**
 * Throws, listing each one, if a tagged pool with nodes (not deleting) or a tagged active job belongs to a workflow
 * that is no longer running in the client's namespace.
 */
export async function assertNoLeftovers(client: Client, batch: BatchServiceClient): Promise<void> {
  const candidates: Candidate[] = [];
  for (const pool of await allPages(batch.pool.list({ poolListOptions: { select: 'id,state,metadata,targetDedicatedNodes,targetLowPriorityNodes,currentDedicatedNodes,currentLowPriorityNodes' } }), (l) => batch.pool.listNext(l))) {
    const nodes = Math.max((pool.targetDedicatedNodes ?? 0) + (pool.targetLowPriorityNodes ?? 0), (pool.currentDedicatedNodes ?? 0) + (pool.currentLowPriorityNodes ?? 0));
    if (pool.state !== 'deleting' && nodes > 0) candidates.push({ what: `pool ${pool.id} (${nodes} node(s))`, metadata: pool.metadata });
  }
  for (const job of await allPages(batch.job.list({ jobListOptions: { select: 'id,state,metadata' } }), (l) => batch.job.listNext(l))) {
    if (ACTIVE_JOB_STATES.has(String(job.state))) candidates.push({ what: `job ${job.id} (${job.state})`, metadata: job.metadata });
  }
  const leftovers: string[] = [];
  for (const { what, metadata } of candidates) {
    const run = readRunTags(metadata);
    if (!run || isKept(metadata) || run.namespace !== client.options.namespace) continue;
    const liveness = await livenessOf(client, run.workflowId);
    if (liveness.kind === 'closed') leftovers.push(`${what} of workflow ${run.workflowId} (${liveness.status})`);
    if (liveness.kind === 'doubt') leftovers.push(`${what} of workflow ${run.workflowId} (liveness unknown: ${liveness.reason})`);
  }
  if (leftovers.length > 0) throw new Error(`Batch resources left by finished runs:\n- ${leftovers.join('\n- ')}`);
}

/** Every item of a paged Batch listing. */
async function allPages<T>(first: Promise<T[] & { odatanextLink?: string }>, next: (link: string) => Promise<T[] & { odatanextLink?: string }>): Promise<T[]> {
  const items: T[] = [];
  let page = await first;
  for (;;) {
    items.push(...page);
    if (!page.odatanextLink) return items;
    page = await next(page.odatanextLink);
  }
}
