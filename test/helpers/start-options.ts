import type { Client } from '@temporalio/client';
import { SpcLadCountKey, SpcRunIdKey, SpcStatusKey, TemporalScheduledByIdKey } from '../../src/workflows/search-attributes';

/** What a run was started with, as Temporal reports it: its workflow task timeout and its search attributes. */
export interface StartedWith {
  workflowTaskTimeoutMs: number | undefined;
  runId: string | undefined;
  status: string | undefined;
  ladCount: number | undefined;
  scheduledBy: string | undefined;
}

/** Reads {@link StartedWith} of a workflow through `describe()` (the execution's own record, not visibility). */
export async function startedWith(client: Client, workflowId: string): Promise<StartedWith> {
  const description = await client.workflow.getHandle(workflowId).describe();
  const timeout = description.raw.executionConfig?.defaultWorkflowTaskTimeout;
  const attributes = description.typedSearchAttributes;
  return {
    workflowTaskTimeoutMs: timeout ? Number(timeout.seconds ?? 0) * 1000 + Math.round((timeout.nanos ?? 0) / 1e6) : undefined,
    runId: attributes.get(SpcRunIdKey),
    status: attributes.get(SpcStatusKey),
    ladCount: attributes.get(SpcLadCountKey),
    scheduledBy: attributes.get(TemporalScheduledByIdKey),
  };
}
