import { z } from 'zod';
import { invalidProperty, missingProperty } from './errors';
import { ID_PATTERN, parseDuration } from './wire';

/** Request bodies of the Batch REST subset, as the service validates them. Unknown properties are dropped. */

const id = z.string().regex(ID_PATTERN, 'The id can contain any combination of alphanumeric characters including hyphens and underscores, and cannot contain more than 64 characters.');
const duration = z.string().refine((v) => parseDuration(v) !== undefined, 'must be an ISO 8601 duration');
const nameValue = z.object({ name: z.string().min(1), value: z.string().optional() });
const metadata = z.array(nameValue);

const resourceFile = z
  .object({
    httpUrl: z.string().optional(),
    storageContainerUrl: z.string().optional(),
    autoStorageContainerName: z.string().optional(),
    blobPrefix: z.string().optional(),
    filePath: z.string().optional(),
    fileMode: z.string().regex(/^[0-7]{3,4}$/).optional(),
  })
  .refine((r) => [r.httpUrl, r.storageContainerUrl, r.autoStorageContainerName].filter(Boolean).length === 1, 'exactly one of httpUrl, storageContainerUrl and autoStorageContainerName must be given')
  .refine((r) => !r.httpUrl || !!r.filePath, 'filePath is required with httpUrl')
  .refine((r) => !r.filePath || !r.filePath.split(/[\\/]/).includes('..'), 'filePath cannot leave the working directory');
export type ResourceFile = z.infer<typeof resourceFile>;

const outputFile = z.object({
  filePattern: z.string().min(1),
  destination: z.object({
    container: z.object({
      containerUrl: z.string().url(),
      path: z.string().optional(),
      uploadHeaders: z.array(z.object({ name: z.string(), value: z.string().optional() })).optional(),
    }),
  }),
  uploadOptions: z.object({ uploadCondition: z.enum(['tasksuccess', 'taskfailure', 'taskcompletion']) }),
});
export type OutputFile = z.infer<typeof outputFile>;

const userIdentity = z.object({
  userName: z.string().optional(),
  autoUser: z.object({ scope: z.enum(['task', 'pool']).optional(), elevationLevel: z.enum(['nonadmin', 'admin']).optional() }).optional(),
});

export const StartTaskSchema = z.object({
  commandLine: z.string().min(1),
  resourceFiles: z.array(resourceFile).optional(),
  environmentSettings: z.array(nameValue).optional(),
  userIdentity: userIdentity.optional(),
  maxTaskRetryCount: z.number().int().min(-1).optional(),
  waitForSuccess: z.boolean().optional(),
});
export type StartTask = z.infer<typeof StartTaskSchema>;

const nodeCount = z.number().int().min(0);
export const PoolAddSchema = z.object({
  id,
  displayName: z.string().max(1024).optional(),
  vmSize: z.string().min(1),
  virtualMachineConfiguration: z.record(z.string(), z.unknown()).optional(),
  cloudServiceConfiguration: z.record(z.string(), z.unknown()).optional(),
  resizeTimeout: duration.optional(),
  targetDedicatedNodes: nodeCount.optional(),
  targetLowPriorityNodes: nodeCount.optional(),
  enableAutoScale: z.literal(false).optional(),
  enableInterNodeCommunication: z.boolean().optional(),
  taskSlotsPerNode: z.number().int().min(1).max(256).optional(),
  taskSchedulingPolicy: z.object({ nodeFillType: z.enum(['spread', 'pack']) }).optional(),
  startTask: StartTaskSchema.optional(),
  metadata: metadata.optional(),
});
export type PoolAdd = z.infer<typeof PoolAddSchema>;

export const PoolPatchSchema = z.object({ startTask: StartTaskSchema.optional(), metadata: metadata.optional() });
export const PoolUpdatePropertiesSchema = z.object({ startTask: StartTaskSchema.optional(), metadata: metadata });

const deallocation = z.enum(['requeue', 'terminate', 'taskcompletion', 'retaineddata']);
export const PoolResizeSchema = z.object({
  targetDedicatedNodes: nodeCount.optional(),
  targetLowPriorityNodes: nodeCount.optional(),
  resizeTimeout: duration.optional(),
  nodeDeallocationOption: deallocation.optional(),
});
export const NodeRemoveSchema = z.object({
  nodeList: z.array(z.string()).min(1).max(100),
  resizeTimeout: duration.optional(),
  nodeDeallocationOption: deallocation.optional(),
});

export const NodeRebootSchema = z.object({ nodeRebootOption: deallocation.optional() });
export const NodeDisableSchedulingSchema = z.object({ nodeDisableSchedulingOption: z.enum(['requeue', 'terminate', 'taskcompletion']).optional() });

const jobConstraints = z.object({ maxWallClockTime: duration.optional(), maxTaskRetryCount: z.number().int().min(-1).optional() });
const poolInfo = z.object({ poolId: z.string().optional(), autoPoolSpecification: z.unknown().optional() });
const priority = z.number().int().min(-1000).max(1000);
const onAllTasksComplete = z.enum(['noaction', 'terminatejob']);
export const JobAddSchema = z.object({
  id,
  displayName: z.string().max(1024).optional(),
  priority: priority.optional(),
  maxParallelTasks: z.number().int().min(-1).optional(),
  allowTaskPreemption: z.boolean().optional(),
  constraints: jobConstraints.optional(),
  poolInfo: poolInfo.refine((p) => !!p.poolId, 'poolId is required (auto pools are not supported by the local service)'),
  onAllTasksComplete: onAllTasksComplete.optional(),
  onTaskFailure: z.enum(['noaction', 'performexitoptionsjobaction']).optional(),
  usesTaskDependencies: z.boolean().optional(),
  commonEnvironmentSettings: z.array(nameValue).optional(),
  metadata: metadata.optional(),
});
export type JobAdd = z.infer<typeof JobAddSchema>;

export const JobPatchSchema = z.object({
  priority: priority.optional(),
  maxParallelTasks: z.number().int().min(-1).optional(),
  allowTaskPreemption: z.boolean().optional(),
  constraints: jobConstraints.optional(),
  poolInfo: poolInfo.optional(),
  onAllTasksComplete: onAllTasksComplete.optional(),
  metadata: metadata.optional(),
});
export type JobPatch = z.infer<typeof JobPatchSchema>;
export const JobUpdateSchema = JobPatchSchema.extend({ poolInfo });
export const JobDisableSchema = z.object({ disableTasks: z.enum(['requeue', 'terminate', 'wait']) });
export const JobTerminateSchema = z.object({ terminateReason: z.string().max(1024).optional() });

export const TaskConstraintsSchema = z.object({
  maxWallClockTime: duration.optional(),
  retentionTime: duration.optional(),
  maxTaskRetryCount: z.number().int().min(-1).optional(),
});
export const TaskAddSchema = z.object({
  id,
  displayName: z.string().max(1024).optional(),
  commandLine: z.string().min(1),
  resourceFiles: z.array(resourceFile).optional(),
  outputFiles: z.array(outputFile).optional(),
  environmentSettings: z.array(nameValue).optional(),
  constraints: TaskConstraintsSchema.optional(),
  requiredSlots: z.number().int().min(1).optional(),
  userIdentity: userIdentity.optional(),
  exitConditions: z.record(z.string(), z.unknown()).optional(),
  dependsOn: z.record(z.string(), z.unknown()).optional(),
  containerSettings: z.record(z.string(), z.unknown()).optional(),
  affinityInfo: z.record(z.string(), z.unknown()).optional(),
  multiInstanceSettings: z.unknown().optional(),
  applicationPackageReferences: z.array(z.unknown()).optional(),
});
export type TaskAdd = z.infer<typeof TaskAddSchema>;
export const TaskUpdateSchema = z.object({ constraints: TaskConstraintsSchema.optional() });
export const TaskCollectionSchema = z.object({ value: z.array(z.unknown()) });

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/** Parses a request body; the first problem becomes the service's 400, naming the property (`constraints.maxTaskRetryCount`). */
export function parseBody<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = issue.path.map(String).join('.') || 'body';
  const value = valueAt(input, issue.path);
  if (value === undefined && issue.code === 'invalid_type') throw missingProperty(name);
  throw invalidProperty(name, issue.message, value);
}
