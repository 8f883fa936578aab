/**
 * The team's workflows file (the worker's `workflowsPath`): its own workflows, plus spc-temporal's re-exported, so
 * one worker runs both. SpcPlugin keeps this path and adds only its activities.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities';

export * from 'spc-temporal/workflows';

const { composeGreeting } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

/** The team's own workflow. */
export async function greet(name: string): Promise<string> {
  return composeGreeting(name);
}
