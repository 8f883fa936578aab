/** A workflow that waits for a signal and does nothing else: the unit of the workflow-memory probe. */
import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';

export const releaseSignal = defineSignal('release');
export const aliveQuery = defineQuery<boolean>('alive');

export async function blocker(): Promise<void> {
  let released = false;
  setHandler(releaseSignal, () => void (released = true));
  setHandler(aliveQuery, () => true);
  await condition(() => released);
}
