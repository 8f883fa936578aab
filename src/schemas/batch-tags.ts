/**
 * Metadata a run puts on the Batch job and pool it creates, so that anything outliving the run can be traced back to
 * it: the reaper reads these to find jobs and pools whose workflow has closed, and prepare reads them to refuse a run
 * id that another workflow already uses. Batch metadata is a list of `{ name, value }` strings.
 */

/** The run id. */
export const TAG_RUN_ID = 'spc-run-id';
/** The spcRun workflow id. */
export const TAG_WORKFLOW_ID = 'spc-workflow-id';
/** The first run id of the workflow's chain (stable across continue-as-new; differs when the workflow id is reused). */
export const TAG_RUN_CHAIN = 'spc-run-chain';
/** Temporal namespace and task queue of the run. */
export const TAG_NAMESPACE = 'spc-namespace';
export const TAG_TASK_QUEUE = 'spc-task-queue';
/** On jobs: the pool the job runs on. */
export const TAG_POOL_ID = 'spc-pool-id';
/** On jobs: `true` when the run created its pool, `false` when it reused `pool.id`. */
export const TAG_POOL_CREATED = 'spc-pool-created';
/** On jobs of a reused pool: `<targetDedicated>,<targetLowPriority>`, the pool's size before the run. */
export const TAG_POOL_RESTORE = 'spc-pool-restore';
/** On pools: `run` when a run created the pool. */
export const TAG_OWNER = 'spc-owner';
/** `true` on a job or pool the run's cleanup policy kept on purpose: nothing reaps it. */
export const TAG_KEEP = 'spc-keep';

export interface MetadataItem {
  name: string;
  value: string;
}

/** Who a run is, as its tags say it. */
export interface RunIdentity {
  runId: string;
  workflowId: string;
  runChain: string;
  namespace: string;
  taskQueue: string;
}

/** The tags naming a run (on its job and its pool). */
export const identityTags = (id: RunIdentity): MetadataItem[] => [
  { name: TAG_RUN_ID, value: id.runId },
  { name: TAG_WORKFLOW_ID, value: id.workflowId },
  { name: TAG_RUN_CHAIN, value: id.runChain },
  { name: TAG_NAMESPACE, value: id.namespace },
  { name: TAG_TASK_QUEUE, value: id.taskQueue },
];

/** The value of a tag, if present. */
export const tagOf = (metadata: readonly MetadataItem[] | undefined, name: string): string | undefined => metadata?.find((m) => m.name === name)?.value;

/** The metadata with one tag set (added or replaced), the rest kept. */
export const withTag = (metadata: readonly MetadataItem[] | undefined, name: string, value: string): MetadataItem[] => [
  ...(metadata ?? []).filter((m) => m.name !== name),
  { name, value },
];

/** True when the tags name this very run (same workflow chain); false for another run or untagged resources. */
export const belongsTo = (metadata: readonly MetadataItem[] | undefined, id: Pick<RunIdentity, 'workflowId' | 'runChain'>): boolean =>
  tagOf(metadata, TAG_WORKFLOW_ID) === id.workflowId && tagOf(metadata, TAG_RUN_CHAIN) === id.runChain;

/** Parses `spc-pool-restore` (`"2,0"`) into node targets. */
export function parsePoolRestore(value: string | undefined): { dedicated: number; lowPriority: number } | undefined {
  const match = /^(\d+),(\d+)$/.exec(value ?? '');
  return match ? { dedicated: Number(match[1]), lowPriority: Number(match[2]) } : undefined;
}
