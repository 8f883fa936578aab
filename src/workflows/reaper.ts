/**
 * spcReaper: one pass of the orphan reaper, started every few minutes by the Schedule `spc-reaper-<taskQueue>`
 * (src/reaper/schedule.ts). All the work is one activity (`reapOrphans`), so the history stays at about 11 events
 * however many resources a pass looks at.
 */
import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createReaperActivities } from '../activities/reaper';
import { formatIssues } from '../schemas/issues';
import type { ReapReport } from '../schemas/reaper';
import { NON_RETRYABLE_ERROR_TYPES } from './activity-options';
import { reaperSchemas } from './lazy-schemas';

const { reapOrphans } = proxyActivities<ReturnType<typeof createReaperActivities>>({
  // A pass lists two collections and makes a few calls per orphan: minutes at most. It heartbeats per resource, so a
  // dead worker is noticed after the heartbeat timeout, not the start-to-close one.
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  // Few attempts: the next scheduled pass is a retry too, and overlapping passes are skipped by the schedule.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
  summary: 'reap orphaned Batch jobs and pools of closed runs',
});

/** Reaps the Batch jobs and pools of closed runs of a namespace and task queue (by default the reaper's own). */
export async function spcReaper(raw: unknown = {}): Promise<ReapReport> {
  const parsed = reaperSchemas().ReaperInputSchema.safeParse(raw ?? {});
  if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid spcReaper input: ${formatIssues(parsed.error)}`, 'InvalidInputError');
  const info = workflowInfo();
  return reapOrphans({ namespace: parsed.data.namespace ?? info.namespace, taskQueue: parsed.data.taskQueue ?? info.taskQueue });
}
