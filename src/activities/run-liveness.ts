/**
 * Whether the workflow that owns a Batch resource still runs, asked of Temporal. Only a definite answer makes an
 * orphan: a closed latest run, or no such workflow (never started, or past retention). Anything else (RUNNING,
 * PAUSED, an unknown status, a failed call) is not proof, and the reaper never reaps on doubt.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { messageOf } from './errors';

export type Liveness = { kind: 'alive'; status: string } | { kind: 'closed'; status: string } | { kind: 'doubt'; reason: string };

/** Statuses of a workflow run that has ended (a continued-as-new run's successor is the latest run, not this). */
const CLOSED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT', 'CONTINUED_AS_NEW']);

/** The liveness of `workflowId`'s latest run. */
export async function livenessOf(client: Client, workflowId: string): Promise<Liveness> {
  try {
    const { status } = await client.workflow.getHandle(workflowId).describe();
    if (status.name === 'RUNNING' || status.name === 'PAUSED') return { kind: 'alive', status: status.name };
    if (CLOSED.has(status.name)) return { kind: 'closed', status: status.name };
    return { kind: 'doubt', reason: `workflow status ${status.name}` };
  } catch (err) {
    // Over a NativeConnection the client's errors may come unwrapped: also compare the name (as RestError checks do).
    if (err instanceof WorkflowNotFoundError || (err as Error)?.name === 'WorkflowNotFoundError') return { kind: 'closed', status: 'NOT_FOUND' };
    return { kind: 'doubt', reason: `describe failed: ${messageOf(err)}` };
  }
}

/** {@link livenessOf}, asked once per workflow id within one pass. */
export function livenessCache(client: Client): (workflowId: string) => Promise<Liveness> {
  const known = new Map<string, Promise<Liveness>>();
  return (workflowId) => {
    let found = known.get(workflowId);
    if (!found) known.set(workflowId, (found = livenessOf(client, workflowId)));
    return found;
  };
}
