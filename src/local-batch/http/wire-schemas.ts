import { z } from 'zod';
import { invalidProperty, missingProperty, unsupportedProperty } from './errors';
import { ID_PATTERN, parseDuration } from './wire';

/**
 * Request bodies of the Batch REST subset, as the service validates them. Strict: a property of the Batch API that
 * this service does not implement, or one the API does not have, is a 400 `UnsupportedProperty` naming it, never
 * silently dropped, so a client never believes a feature took effect when it did not.
 */

const NOT_IMPLEMENTED = 'The local Batch service does not implement this property.';
/** A Batch API property this service does not implement: absent is fine, any value is refused. */
const notImplemented = z.custom<never>(() => false, { message: NOT_IMPLEMENTED }).optional();
/** A property accepted only with the value that asks for nothing (false, an empty list); anything else is not implemented. */
const onlyOff = <T extends z.ZodType>(schema: T, off: (value: z.infer<T>) => boolean) => schema.refine(off, NOT_IMPLEMENTED).optional();
const noneListed = onlyOff(z.array(z.unknown()), (list) => list.length === 0);

const id = z.string().regex(ID_PATTERN, 'The id can contain any combination of alphanumeric characters including hyphens and underscores, and cannot contain more than 64 characters.');
const duration = z.string().refine((v) => parseDuration(v) !== undefined, 'must be an ISO 8601 duration');
const nameValue = z.strictObject({ name: z.string().min(1), value: z.string().optional() });
const metadata = z.array(nameValue);

/** A user-assigned identity of the pool, by its ARM resource id (compared case-insensitively, as ARM does). */
const identityReference = z.strictObject({ resourceId: z.string().min(1) });
export type IdentityReference = z.infer<typeof identityReference>;

const resourceFile = z
  .strictObject({
    httpUrl: z.string().optional(),
    storageContainerUrl: z.string().optional(),
    autoStorageContainerName: notImplemented,
    blobPrefix: z.string().optional(),
    filePath: z.string().optional(),
    fileMode: z.string().regex(/^[0-7]{3,4}$/).optional(),
    identityReference: identityReference.optional(),
  })
  .refine((r) => [r.httpUrl, r.storageContainerUrl].filter(Boolean).length === 1, 'exactly one of httpUrl and storageContainerUrl must be given')
  .refine((r) => !r.httpUrl || !!r.filePath, 'filePath is required with httpUrl')
  .refine((r) => !r.filePath || !r.filePath.split(/[\\/]/).includes('..'), 'filePath cannot leave the working directory');
export type ResourceFile = z.infer<typeof resourceFile>;

const outputFile = z.strictObject({
  filePattern: z.string().min(1),
  destination: z.strictObject({
    container: z.strictObject({
      containerUrl: z.string().url(),
      path: z.string().optional(),
      uploadHeaders: z.array(z.strictObject({ name: z.string(), value: z.string().optional() })).optional(),
      identityReference: identityReference.optional(),
    }),
  }),
  uploadOptions: z.strictObject({ uploadCondition: z.enum(['tasksuccess', 'taskfailure', 'taskcompletion']) }),
});
export type OutputFile = z.infer<typeof outputFile>;

/** Who a task runs as: an auto-user (named pool user accounts are not implemented). */
const userIdentity = z.strictObject({
  userName: notImplemented,
  autoUser: z.strictObject({ scope: z.enum(['task', 'pool']).optional(), elevationLevel: z.enum(['nonadmin', 'admin']).optional() }).optional(),
});
export type UserIdentity = z.infer<typeof userIdentity>;

export const StartTaskSchema = z.strictObject({
  commandLine: z.string().min(1),
  containerSettings: notImplemented,
  resourceFiles: z.array(resourceFile).optional(),
  environmentSettings: z.array(nameValue).optional(),
  userIdentity: userIdentity.optional(),
  maxTaskRetryCount: z.number().int().min(-1).optional(),
  waitForSuccess: z.boolean().optional(),
});
export type StartTask = z.infer<typeof StartTaskSchema>;

/** A marketplace image (what the SDKs' users send); tasks run on this host whatever it names. */
const imageReference = z.strictObject({
  publisher: z.string().min(1),
  offer: z.string().min(1),
  sku: z.string().min(1),
  version: z.string().min(1).optional(),
  virtualMachineImageId: notImplemented,
  sharedGalleryImageId: notImplemented,
  communityGalleryImageId: notImplemented,
});
const virtualMachineConfiguration = z.strictObject({
  imageReference,
  nodeAgentSKUId: z.string().min(1),
  windowsConfiguration: notImplemented,
  dataDisks: notImplemented,
  licenseType: notImplemented,
  containerConfiguration: notImplemented,
  diskEncryptionConfiguration: notImplemented,
  nodePlacementConfiguration: notImplemented,
  extensions: notImplemented,
  osDisk: notImplemented,
  securityProfile: notImplemented,
  serviceArtifactReference: notImplemented,
});

const nodeCount = z.number().int().min(0);
/**
 * The pool's user-assigned managed identities. On Azure they are set through the management plane only; here
 * Pool_Add takes them, standing in for that (README: identities).
 */
const poolIdentity = z
  .strictObject({
    type: z.enum(['UserAssigned', 'None']),
    userAssignedIdentities: z.array(z.strictObject({ resourceId: z.string().min(1), clientId: z.string().optional(), principalId: z.string().optional() })).optional(),
  })
  .refine((i) => i.type === 'UserAssigned' || !i.userAssignedIdentities?.length, 'type None takes no userAssignedIdentities');
export type PoolIdentity = z.infer<typeof poolIdentity>;

export const PoolAddSchema = z.strictObject({
  id,
  displayName: z.string().max(1024).optional(),
  vmSize: z.string().min(1),
  virtualMachineConfiguration: virtualMachineConfiguration.optional(),
  cloudServiceConfiguration: notImplemented,
  resizeTimeout: duration.optional(),
  targetDedicatedNodes: nodeCount.optional(),
  targetLowPriorityNodes: nodeCount.optional(),
  enableAutoScale: onlyOff(z.boolean(), (on) => !on),
  autoScaleFormula: notImplemented,
  autoScaleEvaluationInterval: notImplemented,
  enableInterNodeCommunication: z.boolean().optional(),
  networkConfiguration: notImplemented,
  taskSlotsPerNode: z.number().int().min(1).max(256).optional(),
  taskSchedulingPolicy: z.strictObject({ nodeFillType: z.enum(['spread', 'pack']) }).optional(),
  startTask: StartTaskSchema.optional(),
  identity: poolIdentity.optional(),
  certificateReferences: noneListed,
  applicationPackageReferences: noneListed,
  applicationLicenses: noneListed,
  userAccounts: noneListed,
  metadata: metadata.optional(),
  mountConfiguration: noneListed,
  targetNodeCommunicationMode: notImplemented,
  upgradePolicy: notImplemented,
  resourceTags: notImplemented,
});
export type PoolAdd = z.infer<typeof PoolAddSchema>;

/** Pool_UpdateProperties requires the two reference lists; only empty ones are accepted here. */
const poolUpdatable = {
  startTask: StartTaskSchema.optional(),
  certificateReferences: noneListed,
  applicationPackageReferences: noneListed,
  targetNodeCommunicationMode: notImplemented,
};
export const PoolPatchSchema = z.strictObject({ ...poolUpdatable, metadata: metadata.optional() });
export const PoolUpdatePropertiesSchema = z.strictObject({ ...poolUpdatable, metadata: metadata });

const deallocation = z.enum(['requeue', 'terminate', 'taskcompletion', 'retaineddata']);
export const PoolResizeSchema = z.strictObject({
  targetDedicatedNodes: nodeCount.optional(),
  targetLowPriorityNodes: nodeCount.optional(),
  resizeTimeout: duration.optional(),
  nodeDeallocationOption: deallocation.optional(),
});
export const NodeRemoveSchema = z.strictObject({
  nodeList: z.array(z.string()).min(1).max(100),
  resizeTimeout: duration.optional(),
  nodeDeallocationOption: deallocation.optional(),
});

export const NodeRebootSchema = z.strictObject({ nodeRebootOption: deallocation.optional() });
export const NodeDisableSchedulingSchema = z.strictObject({ nodeDisableSchedulingOption: z.enum(['requeue', 'terminate', 'taskcompletion']).optional() });

const jobConstraints = z.strictObject({ maxWallClockTime: duration.optional(), maxTaskRetryCount: z.number().int().min(-1).optional() });
const poolInfo = z.strictObject({ poolId: z.string().optional(), autoPoolSpecification: notImplemented });
const priority = z.number().int().min(-1000).max(1000);
const onAllTasksComplete = z.enum(['noaction', 'terminatejob']);
/** Preemption of lower-priority jobs' tasks is not implemented: only `false` is accepted. */
const allowTaskPreemption = onlyOff(z.boolean(), (on) => !on);
export const JobAddSchema = z.strictObject({
  id,
  displayName: z.string().max(1024).optional(),
  priority: priority.optional(),
  maxParallelTasks: z.number().int().min(-1).optional(),
  allowTaskPreemption,
  constraints: jobConstraints.optional(),
  jobManagerTask: notImplemented,
  jobPreparationTask: notImplemented,
  jobReleaseTask: notImplemented,
  poolInfo: poolInfo.refine((p) => !!p.poolId, 'poolId is required'),
  onAllTasksComplete: onAllTasksComplete.optional(),
  onTaskFailure: z.enum(['noaction', 'performexitoptionsjobaction']).optional(),
  networkConfiguration: notImplemented,
  usesTaskDependencies: z.boolean().optional(),
  commonEnvironmentSettings: z.array(nameValue).optional(),
  metadata: metadata.optional(),
});
export type JobAdd = z.infer<typeof JobAddSchema>;

export const JobPatchSchema = z.strictObject({
  priority: priority.optional(),
  maxParallelTasks: z.number().int().min(-1).optional(),
  allowTaskPreemption,
  constraints: jobConstraints.optional(),
  poolInfo: poolInfo.optional(),
  onAllTasksComplete: onAllTasksComplete.optional(),
  metadata: metadata.optional(),
  networkConfiguration: notImplemented,
});
export type JobPatch = z.infer<typeof JobPatchSchema>;
export const JobUpdateSchema = JobPatchSchema.extend({ poolInfo });
export const JobDisableSchema = z.strictObject({ disableTasks: z.enum(['requeue', 'terminate', 'wait']) });
export const JobTerminateSchema = z.strictObject({ terminateReason: z.string().max(1024).optional() });

export const TaskConstraintsSchema = z.strictObject({
  maxWallClockTime: duration.optional(),
  retentionTime: duration.optional(),
  maxTaskRetryCount: z.number().int().min(-1).optional(),
});
const dependsOn = z.strictObject({
  taskIds: z.array(z.string()).optional(),
  taskIdRanges: z.array(z.strictObject({ start: z.number().int(), end: z.number().int() })).optional(),
});
export const TaskAddSchema = z.strictObject({
  id,
  displayName: z.string().max(1024).optional(),
  commandLine: z.string().min(1),
  containerSettings: notImplemented,
  exitConditions: notImplemented,
  resourceFiles: z.array(resourceFile).optional(),
  outputFiles: z.array(outputFile).optional(),
  environmentSettings: z.array(nameValue).optional(),
  // A placement hint; Azure may also run the task elsewhere, so honouring it nowhere is within the contract.
  affinityInfo: z.strictObject({ affinityId: z.string() }).optional(),
  constraints: TaskConstraintsSchema.optional(),
  requiredSlots: z.number().int().min(1).optional(),
  userIdentity: userIdentity.optional(),
  multiInstanceSettings: notImplemented,
  dependsOn: dependsOn.optional(),
  applicationPackageReferences: noneListed,
  authenticationTokenSettings: notImplemented,
});
export type TaskAdd = z.infer<typeof TaskAddSchema>;
export const TaskUpdateSchema = z.strictObject({ constraints: TaskConstraintsSchema.optional() });
export const TaskCollectionSchema = z.strictObject({ value: z.array(z.unknown()) });

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
  const issues = result.error.issues;
  // An unsupported property is named first: it explains the request better than a follow-on validation error.
  const issue = issues.find((i) => i.code === 'unrecognized_keys' || i.message === NOT_IMPLEMENTED) ?? issues[0];
  const pathName = (path: PropertyKey[]) => path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    throw unsupportedProperty(pathName([...issue.path, issue.keys[0]]), 'The Batch REST API has no such property in this request.');
  }
  const name = pathName(issue.path) || 'body';
  if (issue.message === NOT_IMPLEMENTED) throw unsupportedProperty(name, NOT_IMPLEMENTED);
  const value = valueAt(input, issue.path);
  if (value === undefined && issue.code === 'invalid_type') throw missingProperty(name);
  throw invalidProperty(name, issue.message, value);
}
