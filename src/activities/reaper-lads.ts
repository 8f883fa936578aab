/**
 * The reaper's pass over LAD children (ladRun workflows). Since 0.2 a LAD outlives the run of its parent's chain that
 * started it (parent close policy ABANDON, so that it survives a continue-as-new). So nothing in Temporal stops it when
 * its whole run ends (a terminate runs no workflow code), and nothing tells the run when it closes on its own after a
 * continue (its close event reaches only the closed run that started it). The reaper does both:
 * - a running ladRun whose parent chain is closed is cancelled (its awaiting activity then terminates its task);
 * - a ladRun closed without a result (cancelled, terminated, timed out, failed) in the last few passes whose parent
 *   still runs is reported to it (`ladClosed`), which counts it once (a duplicate report is ignored).
 * Doubt about a parent's liveness skips that LAD, as for jobs and pools; a ladRun started alone (no parent) is left alone.
 */
import { Context, heartbeat, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Reaped, ReapRequest, ReapSkipped } from '../schemas/reaper';
import { SpcLadKey } from '../workflows/search-attributes';
import { ladClosedSignal } from '../workflows/messages';
import { messageOf } from './errors';
import type { Liveness } from './run-liveness';

/** How far back closed LADs are looked at: three reaper intervals, so a pass that failed is made up by the next. */
export const CLOSED_LOOKBACK_MS = 15 * 60_000;

/** Close statuses of a LAD that ended without a result (a completed ladRun has reported its own). */
const CLOSED_WITHOUT_RESULT = ['Canceled', 'Terminated', 'TimedOut', 'Failed'];

export interface LadPassOutcome {
  reaped: Reaped[];
  skipped: ReapSkipped[];
}

/** One pass over the task queue's LAD children; `liveness` is the pass's cache of workflow liveness. */
export async function reapLadChildren(client: Client, req: ReapRequest, liveness: (workflowId: string) => Promise<Liveness>, nowMs: number): Promise<LadPassOutcome> {
  const outcome: LadPassOutcome = { reaped: [], skipped: [] };
  const scope = `WorkflowType = 'ladRun' AND TaskQueue = '${escapeQuery(req.taskQueue)}'`;
  for await (const lad of client.workflow.list({ query: `${scope} AND ExecutionStatus = 'Running'` })) {
    const parent = lad.parentExecution?.workflowId;
    if (!parent) continue;
    const parentLiveness = await liveness(parent);
    heartbeat({ lads: outcome.reaped.length + outcome.skipped.length });
    if (parentLiveness.kind === 'doubt') outcome.skipped.push({ kind: 'lad', id: lad.workflowId, workflowId: parent, reason: parentLiveness.reason });
    if (parentLiveness.kind !== 'closed') continue;
    await act(outcome, lad.workflowId, parent, 'cancelled', () => client.workflow.getHandle(lad.workflowId).cancel());
  }
  const since = new Date(nowMs - CLOSED_LOOKBACK_MS).toISOString();
  const statuses = CLOSED_WITHOUT_RESULT.map((s) => `'${s}'`).join(', ');
  for await (const lad of client.workflow.list({ query: `${scope} AND ExecutionStatus IN (${statuses}) AND CloseTime > '${since}'` })) {
    const parent = lad.parentExecution?.workflowId;
    const code = lad.typedSearchAttributes.get(SpcLadKey);
    if (!parent || !code || (await liveness(parent)).kind !== 'alive') continue;
    heartbeat({ lads: outcome.reaped.length + outcome.skipped.length });
    await act(outcome, lad.workflowId, parent, `reported ${lad.status.name} to its run`, () => client.workflow.getHandle(parent).signal(ladClosedSignal, { lad: code, status: lad.status.name }));
  }
  return outcome;
}

async function act(outcome: LadPassOutcome, id: string, parent: string, action: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
    outcome.reaped.push({ kind: 'lad', id, workflowId: parent, action });
    log.info(`reaper: lad ${action}`, { workflowId: id, parent });
  } catch (err) {
    if (Context.current().cancellationSignal.aborted) throw err;
    outcome.skipped.push({ kind: 'lad', id, workflowId: parent, reason: messageOf(err) });
  }
}

/** A task queue name inside a single-quoted visibility query string. */
const escapeQuery = (value: string): string => value.replaceAll('\\', '\\\\').replaceAll("'", "\\'");
