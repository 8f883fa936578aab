/**
 * The metadata a run writes on the Batch job and pool it creates, so that something outside the run (the
 * reaper, the test teardown) can tell whose they are and whether that workflow still runs. Batch metadata is a
 * list of `{name, value}` strings; every name used lives here, with the helpers that build and read the list.
 */

/** One Batch metadata entry (structurally the SDK's `MetadataItem`). */
export interface BatchTag {
  name: string;
  value: string;
}

/** Metadata as Batch returns it (a value may be missing on the wire). */
export type BatchMetadata = readonly { name: string; value?: string }[] | undefined;

/** The metadata names. */
export const TAG = {
  /** The run id (`spcRun`'s input runId). */
  runId: 'spc-run-id',
  /** The spcRun workflow id whose liveness decides whether the resource is an orphan. */
  workflowId: 'spc-workflow-id',
  /** The Temporal namespace of that workflow. */
  namespace: 'spc-namespace',
  /** The task queue of that workflow; a reaper only handles its own queue's resources. */
  taskQueue: 'spc-task-queue',
  /** On a job: the pool it runs on. */
  poolId: 'spc-pool-id',
  /** On a job: `true` when the run created the pool, `false` when it reused `pool.id`. */
  poolCreated: 'spc-pool-created',
  /** On a job of a reused pool: `<targetDedicated>,<targetLowPriority>`, the pool's size before the run. */
  poolRestore: 'spc-pool-restore',
  /** On a pool: `run` when a run created it. */
  owner: 'spc-owner',
  /** `true`: the run's cleanup policy kept this on purpose; never reaped. */
  keep: 'spc-keep',
} as const;

/** What identifies the run that owns a resource. */
export interface RunTags {
  runId: string;
  workflowId: string;
  namespace: string;
  taskQueue: string;
}

/** A pool size, as written in `spc-pool-restore`. */
export interface PoolSize {
  targetDedicated: number;
  targetLowPriority: number;
}

const runTagList = (run: RunTags): BatchTag[] => [
  { name: TAG.runId, value: run.runId },
  { name: TAG.workflowId, value: run.workflowId },
  { name: TAG.namespace, value: run.namespace },
  { name: TAG.taskQueue, value: run.taskQueue },
];

/**
 * The metadata of a run's job.
 * @param pool `restore` only for a reused pool: its size before the run, put back when the run ends
 */
export function jobTags(run: RunTags, pool: { poolId: string; created: boolean; restore?: PoolSize }): BatchTag[] {
  return [
    ...runTagList(run),
    { name: TAG.poolId, value: pool.poolId },
    { name: TAG.poolCreated, value: String(pool.created) },
    ...(!pool.created && pool.restore ? [{ name: TAG.poolRestore, value: formatPoolSize(pool.restore) }] : []),
  ];
}

/** The metadata of a pool the run created. */
export function poolTags(run: RunTags): BatchTag[] {
  return [...runTagList(run), { name: TAG.owner, value: 'run' }];
}

/** The `spc-keep` entry finalize adds to what the cleanup policy keeps. */
export const KEEP_TAG: BatchTag = { name: TAG.keep, value: 'true' };

/** `existing` with `tags` set (same names replaced): Batch's patch replaces the whole list, so merge first. */
export function withTags(existing: BatchMetadata, tags: readonly BatchTag[]): BatchTag[] {
  const names = new Set(tags.map((t) => t.name));
  return [...(existing ?? []).filter((m) => !names.has(m.name)).map((m) => ({ name: m.name, value: m.value ?? '' })), ...tags];
}

/** The value of one metadata entry, if present. */
export function tagOf(metadata: BatchMetadata, name: string): string | undefined {
  return metadata?.find((m) => m.name === name)?.value;
}

/** True when the run's cleanup policy kept the resource on purpose. */
export const isKept = (metadata: BatchMetadata): boolean => tagOf(metadata, TAG.keep) === 'true';

/** `<targetDedicated>,<targetLowPriority>`. */
export const formatPoolSize = (size: PoolSize): string => `${size.targetDedicated},${size.targetLowPriority}`;

/** Parses `<targetDedicated>,<targetLowPriority>`; undefined when malformed (never guess a size). */
export function parsePoolSize(value: string | undefined): PoolSize | undefined {
  const match = /^(\d+),(\d+)$/.exec(value?.trim() ?? '');
  return match ? { targetDedicated: Number(match[1]), targetLowPriority: Number(match[2]) } : undefined;
}

/** The owning run of a resource, or undefined when it carries no (or incomplete) run tags. */
export function readRunTags(metadata: BatchMetadata): RunTags | undefined {
  const runId = tagOf(metadata, TAG.runId);
  const workflowId = tagOf(metadata, TAG.workflowId);
  const namespace = tagOf(metadata, TAG.namespace);
  const taskQueue = tagOf(metadata, TAG.taskQueue);
  if (!workflowId || !namespace || !taskQueue) return undefined;
  return { runId: runId ?? '', workflowId, namespace, taskQueue };
}

/** What a job's tags say about its pool: created by the run, or reused (with the size to restore, if known). */
export function readJobPool(metadata: BatchMetadata): { poolId?: string; created: boolean; restore?: PoolSize } {
  const poolId = tagOf(metadata, TAG.poolId);
  const restore = parsePoolSize(tagOf(metadata, TAG.poolRestore));
  return { ...(poolId && { poolId }), created: tagOf(metadata, TAG.poolCreated) === 'true', ...(restore && { restore }) };
}

/** True for a pool a run created (`spc-owner=run`). */
export const isRunOwnedPool = (metadata: BatchMetadata): boolean => tagOf(metadata, TAG.owner) === 'run';

/** The first run id of the workflow's chain (stable across continue-as-new; differs when a workflow id is reused). */
export const TAG_RUN_CHAIN = 'spc-run-chain';
export const TAG_RUN_ID = TAG.runId;
export const TAG_WORKFLOW_ID = TAG.workflowId;
export const TAG_POOL_ID = TAG.poolId;
export const TAG_POOL_CREATED = TAG.poolCreated;
export const TAG_POOL_RESTORE = TAG.poolRestore;
export const TAG_OWNER = TAG.owner;
export const TAG_KEEP = TAG.keep;

/** One metadata entry as the product writes it. */
export type MetadataItem = BatchTag;

/** Who a run is, as its tags say (the chain tells it from a later workflow that reuses its id). */
export interface RunIdentity extends RunTags {
  runChain: string;
}

/** The tags naming a run, on its job and its pool. */
export const identityTags = (id: RunIdentity): BatchTag[] => [...poolTags(id).filter((t) => t.name !== TAG.owner), { name: TAG_RUN_CHAIN, value: id.runChain }];

/** The metadata with one tag set (added or replaced), the rest kept. */
export const withTag = (metadata: BatchMetadata, name: string, value: string): BatchTag[] => withTags(metadata, [{ name, value }]);

/** True when the tags name this very run (same workflow and chain); false for another run or untagged resources. */
export const belongsTo = (metadata: BatchMetadata, id: Pick<RunIdentity, 'workflowId' | 'runChain'>): boolean =>
  tagOf(metadata, TAG.workflowId) === id.workflowId && tagOf(metadata, TAG_RUN_CHAIN) === id.runChain;

/** Parses `spc-pool-restore` (`"2,0"`) into node targets. */
export function parsePoolRestore(value: string | undefined): { dedicated: number; lowPriority: number } | undefined {
  const size = parsePoolSize(value);
  return size && { dedicated: size.targetDedicated, lowPriority: size.targetLowPriority };
}
