import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

/** Every workflow execution of a run (parent runs, children), found by the SpcRunId search attribute. */
export async function runExecutions(client: Client, runId: string): Promise<{ workflowId: string; runId: string; type: string }[]> {
  const found: { workflowId: string; runId: string; type: string }[] = [];
  for await (const wf of client.workflow.list({ query: `SpcRunId = '${runId}'` })) found.push({ workflowId: wf.workflowId, runId: wf.runId, type: wf.type });
  return found;
}

/** The full history of one execution (a specific run of a workflow id). */
export async function historyOf(client: Client, workflowId: string, runId?: string): Promise<temporal.api.history.v1.IHistory> {
  return client.workflow.getHandle(workflowId, runId).fetchHistory();
}

/** Histories of the parent's runs (every continue-as-new) and of every child of a run, as JSON text. */
export async function allRunHistoryText(client: Client, runId: string): Promise<{ count: number; text: string }> {
  const executions = await runExecutions(client, runId);
  const texts = await Promise.all(executions.map(async (e) => JSON.stringify(await historyOf(client, e.workflowId, e.runId))));
  return { count: executions.length, text: texts.join('\n') };
}
