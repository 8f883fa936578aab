/**
 * The bare workflow of the orchestration floor (bench-run): one activity that returns at once, the least a LAD
 * could cost the server and a worker. Nothing of spc-temporal is in this bundle.
 */
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '1 minute' });

export async function bareLad(): Promise<void> {
  await noop();
}
