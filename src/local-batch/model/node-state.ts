import type { NodeRecord } from './types';
import { isoTime } from '../http/wire';

/** A node's state and what it allows, apart from its lifecycle (nodes.ts), so task code can read and set it. */
export function setNodeState(node: NodeRecord, state: NodeRecord['state']): void {
  if (node.state === state) return;
  node.state = state;
  node.stateTransitionTime = isoTime();
}

/** Whether the scheduler may place tasks on this node. */
export function nodeAcceptsTasks(node: NodeRecord): boolean {
  return (node.state === 'idle' || node.state === 'running') && !node.leaving && !node.schedulingDisabled && !node.rebootPending;
}
