import type { OutputFile, PoolIdentity, ResourceFile, StartTask, UserIdentity } from '../http/wire-schemas';

/** Entity states on the wire (lowercase, as the service sends them). */
export type TaskState = 'active' | 'preparing' | 'running' | 'completed';
export type JobState = 'active' | 'disabling' | 'disabled' | 'enabling' | 'terminating' | 'completed' | 'deleting';
export type NodeState =
  | 'idle'
  | 'running'
  | 'creating'
  | 'starting'
  | 'waitingforstarttask'
  | 'starttaskfailed'
  | 'leavingpool'
  | 'preempted'
  | 'rebooting'
  | 'unusable';

/** A pool resize error (`resizeErrors[]`): why the last resize stopped short of its targets. */
export interface ResizeError {
  code: string;
  message: string;
  values?: { name: string; value: string }[];
}

/** Fields every entity carries. */
export interface EntityBase {
  id: string;
  url: string;
  eTag: string;
  lastModified: string;
  creationTime: string;
  stateTransitionTime: string;
  previousStateTransitionTime?: string;
}

export interface FailureInfo {
  category: 'usererror' | 'servererror';
  code: string;
  message: string;
  details?: { name: string; value: string }[];
}

export interface ExecutionInfo {
  startTime?: string;
  endTime?: string;
  exitCode?: number;
  retryCount: number;
  requeueCount: number;
  lastRetryTime?: string;
  lastRequeueTime?: string;
  result?: 'success' | 'failure';
  failureInfo?: FailureInfo;
}

export interface TaskWire extends EntityBase {
  state: TaskState;
  previousState?: TaskState;
  displayName?: string;
  commandLine: string;
  resourceFiles?: ResourceFile[];
  outputFiles?: OutputFile[];
  environmentSettings?: { name: string; value?: string }[];
  constraints: { maxWallClockTime: string; retentionTime: string; maxTaskRetryCount: number };
  requiredSlots: number;
  userIdentity?: UserIdentity;
  dependsOn?: unknown;
  affinityInfo?: unknown;
  executionInfo: ExecutionInfo;
  nodeInfo?: { affinityId: string; nodeUrl: string; poolId: string; nodeId: string; taskRootDirectory: string; taskRootDirectoryUrl: string };
}

/** A task and what the service keeps about it besides its wire shape. */
export interface TaskRecord {
  jobId: string;
  /** Creation order within the service; list order and paging key. */
  seq: number;
  wire: TaskWire;
  /** Task directory on the local disk (holds stdout.txt, stderr.txt, wd/), once it first ran. */
  taskDir?: string;
  /** Whether resource files were downloaded into taskDir (user retries reuse them). */
  prepared?: boolean;
  /** Process group of the running attempt and its start time (from /proc), to kill orphans after a restart. */
  pid?: number;
  pidStart?: string;
  /** The directory was deleted after retentionTime. */
  cleanedUp?: boolean;
}

export interface JobWire extends EntityBase {
  state: JobState;
  previousState?: JobState;
  displayName?: string;
  priority: number;
  maxParallelTasks: number;
  allowTaskPreemption?: boolean;
  usesTaskDependencies: boolean;
  constraints: { maxWallClockTime: string; maxTaskRetryCount: number };
  poolInfo: { poolId?: string };
  onAllTasksComplete: 'noaction' | 'terminatejob';
  onTaskFailure: 'noaction' | 'performexitoptionsjobaction';
  commonEnvironmentSettings?: { name: string; value?: string }[];
  metadata?: { name: string; value?: string }[];
  executionInfo: { startTime: string; endTime?: string; poolId?: string; terminateReason?: string };
}

export interface TaskCounts {
  active: number;
  running: number;
  completed: number;
  succeeded: number;
  failed: number;
}

export interface JobRecord {
  seq: number;
  wire: JobWire;
  /** What a disable asked for, until the job is enabled. */
  disableTasks?: 'requeue' | 'terminate' | 'wait';
}

export interface PoolWire extends EntityBase {
  state: 'active' | 'deleting';
  previousState?: 'active' | 'deleting';
  displayName?: string;
  allocationState: 'steady' | 'resizing' | 'stopping';
  allocationStateTransitionTime: string;
  vmSize: string;
  virtualMachineConfiguration?: unknown;
  resizeTimeout: string;
  resizeErrors?: ResizeError[];
  currentDedicatedNodes: number;
  currentLowPriorityNodes: number;
  targetDedicatedNodes: number;
  targetLowPriorityNodes: number;
  enableAutoScale: boolean;
  enableInterNodeCommunication: boolean;
  taskSlotsPerNode: number;
  taskSchedulingPolicy: { nodeFillType: 'spread' | 'pack' };
  startTask?: StartTask;
  /** User-assigned managed identities, for identityReference transfers. */
  identity?: PoolIdentity;
  metadata?: { name: string; value?: string }[];
}

export interface StartTaskInfo {
  state: 'running' | 'completed';
  startTime: string;
  endTime?: string;
  exitCode?: number;
  retryCount: number;
  result?: 'success' | 'failure';
  failureInfo?: FailureInfo;
}

export interface NodeRecord {
  id: string;
  poolId: string;
  isDedicated: boolean;
  state: NodeState;
  stateTransitionTime: string;
  allocationTime: string;
  lastBootTime: string;
  totalTasksRun: number;
  totalTasksSucceeded: number;
  startTaskInfo?: StartTaskInfo;
  /** Set when a shrink waits for this node's tasks (taskcompletion / retaineddata) before removing it. */
  leaving?: boolean;
  /** Scheduling disabled on the node (it shows `offline` when idle). */
  schedulingDisabled?: boolean;
  /** A reboot with taskcompletion/retaineddata waits for the node's tasks. */
  rebootPending?: boolean;
  /** Running tasks by key, with the slots each holds. Not persisted: restarts requeue running tasks. */
  running: Map<string, number>;
  usedSlots: number;
  /** Start-task process group, if one is running. */
  startPid?: number;
  startPidStart?: string;
  /** Why the node is `unusable` (the node's `errors` on the wire). */
  errors?: { code: string; message: string }[];
}

export interface PoolRecord {
  seq: number;
  wire: PoolWire;
  nodes: Map<string, NodeRecord>;
  /** Pending resize target, applied when the allocation delay passes. */
  /** The allocation-delay timer of a resize in progress (not persisted). */
  pendingResize?: NodeJS.Timeout;
  nodeDeallocationOption?: 'requeue' | 'terminate' | 'taskcompletion' | 'retaineddata';
}

export const taskKey = (jobId: string, taskId: string): string => `${jobId.toLowerCase()}\u0000${taskId.toLowerCase()}`;
