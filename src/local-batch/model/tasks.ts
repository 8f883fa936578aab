import type { Engine } from './engine';
import { BatchError, conflict, invalidProperty, notFound } from '../http/errors';
import { entityHeaders, jsonBody, metadataUrl, readConditions, writeConditions, type Reply, type Request } from '../http/request-reply';
import { getJob } from './jobs';
import { checkAllTasksComplete } from './job-lifecycle';
import { entityReply, listPage, route, type Route } from '../http/routing';
import { armWallClock, cancelRetention, killTaskProcess, stopTask, taskEndedByUser } from '../execution/task-runner';
import { taskKey, type JobRecord, type TaskRecord, type TaskWire } from './types';
import { newEntityWire, parseDuration, UNLIMITED, UNLIMITED_MS } from '../http/wire';
import { parseBody, TaskAddSchema, TaskCollectionSchema, TaskUpdateSchema, type TaskAdd } from '../http/wire-schemas';
import { TASK_FILTER } from '../query/filter-properties';

/** Task operations. */
export const MAX_COLLECTION_TASKS = 100;
export const MAX_COLLECTION_BYTES = 1024 * 1024;

function getTask(engine: Engine, jobId: string, taskId: string): TaskRecord {
  getJob(engine, jobId);
  const task = engine.tasks.get(taskKey(jobId, taskId));
  if (!task) throw notFound('Task');
  return task;
}

/** Whether tasks may be added to the job now (409 otherwise, as the service answers). */
function jobAcceptingTasks(job: JobRecord): void {
  const state = job.wire.state;
  if (state === 'deleting') throw conflict('JobBeingDeleted', 'The specified job has been marked for deletion and is being reclaimed.');
  if (state === 'terminating') throw conflict('JobBeingTerminated', 'The specified job is being terminated.');
  if (state === 'completed') throw conflict('JobCompleted', 'The specified job is already in a completed state.');
}

function validateTask(job: JobRecord, body: TaskAdd): void {
  if (body.dependsOn && !job.wire.usesTaskDependencies) {
    throw new BatchError(400, 'TaskDependenciesNotSpecifiedOnJob', 'The Task has dependencies but the job does not have usesTaskDependencies set.');
  }
}

function createTask(engine: Engine, job: JobRecord, body: TaskAdd): TaskRecord {
  const wire: TaskWire = {
    ...newEntityWire(body.id, engine.taskUrl(job.wire.id, body.id)),
    ...(body.displayName && { displayName: body.displayName }),
    commandLine: body.commandLine,
    ...(body.resourceFiles && { resourceFiles: body.resourceFiles }),
    ...(body.outputFiles && { outputFiles: body.outputFiles }),
    ...(body.environmentSettings && { environmentSettings: body.environmentSettings }),
    ...(body.affinityInfo && { affinityInfo: body.affinityInfo }),
    constraints: {
      maxWallClockTime: body.constraints?.maxWallClockTime ?? UNLIMITED,
      retentionTime: body.constraints?.retentionTime ?? 'P7D',
      maxTaskRetryCount: body.constraints?.maxTaskRetryCount ?? job.wire.constraints.maxTaskRetryCount,
    },
    requiredSlots: body.requiredSlots ?? 1,
    ...(body.userIdentity && { userIdentity: body.userIdentity }),
    ...(body.dependsOn && { dependsOn: body.dependsOn }),
    executionInfo: { retryCount: 0, requeueCount: 0 },
  };
  const rec: TaskRecord = { jobId: job.wire.id, seq: engine.nextSeq(), wire };
  engine.indexTask(rec);
  engine.touchTask(rec);
  return rec;
}

function addTask(engine: Engine, req: Request, [jobId]: string[]): Reply {
  const job = getJob(engine, jobId);
  const body = parseBody(TaskAddSchema, jsonBody(req));
  jobAcceptingTasks(job);
  validateTask(job, body);
  if (engine.tasks.has(taskKey(job.wire.id, body.id))) throw conflict('TaskExists', 'The specified task already exists.');
  const rec = createTask(engine, job, body);
  engine.kick();
  return { status: 201, headers: entityHeaders(rec.wire, rec.wire.url) };
}

function errorBody(err: BatchError): Record<string, unknown> {
  return { code: err.code, message: { lang: 'en-US', value: err.message }, ...(err.values.length > 0 && { values: err.values }) };
}

function addCollection(engine: Engine, req: Request, [jobId]: string[]): Reply {
  if (req.body.length >= MAX_COLLECTION_BYTES) {
    throw new BatchError(413, 'RequestBodyTooLarge', 'The request body is too large and exceeds the maximum permissible limit.', [
      { key: 'MaxLimit', value: String(MAX_COLLECTION_BYTES) },
    ]);
  }
  const job = getJob(engine, jobId);
  const { value } = parseBody(TaskCollectionSchema, jsonBody(req));
  if (value.length > MAX_COLLECTION_TASKS) throw invalidProperty('value', `A collection can hold at most ${MAX_COLLECTION_TASKS} tasks.`, value.length);
  jobAcceptingTasks(job);
  const results = value.map((item, index) => {
    const taskId = typeof (item as { id?: unknown })?.id === 'string' ? (item as { id: string }).id : '';
    try {
      const body = parseBody(TaskAddSchema, item);
      validateTask(job, body);
      if (engine.tasks.has(taskKey(job.wire.id, body.id))) throw conflict('TaskExists', 'The specified task already exists.');
      const rec = createTask(engine, job, body);
      return { status: 'success', taskId: rec.wire.id, eTag: rec.wire.eTag, lastModified: rec.wire.lastModified, location: rec.wire.url };
    } catch (err) {
      if (!(err instanceof BatchError)) throw err;
      const renamed = err.values.map((v) => (v.key === 'PropertyName' ? { ...v, value: `value[${index}].${v.value}` } : v));
      return { status: 'clienterror', taskId, error: errorBody(new BatchError(err.status, err.code, err.message, err.status === 400 ? renamed : err.values)) };
    }
  });
  engine.kick();
  return { status: 200, body: { 'odata.metadata': metadataUrl(req.origin, 'taskaddresult'), value: results } };
}

function listTasks(engine: Engine, req: Request, [jobId]: string[]): Reply {
  const job = getJob(engine, jobId);
  const list = engine.jobTasks.get(job.wire.id.toLowerCase()) ?? [];
  return listPage(req, list, (t) => t.seq, (t) => engine.tasks.get(taskKey(t.jobId, t.wire.id)) === t, (t) => t.wire, 'tasks', TASK_FILTER);
}

function updateTask(engine: Engine, req: Request, [jobId, taskId]: string[]): Reply {
  const task = getTask(engine, jobId, taskId);
  writeConditions(req, task.wire);
  const body = parseBody(TaskUpdateSchema, jsonBody(req));
  if (task.wire.state === 'completed') throw conflict('TaskCompleted', 'The specified task is already in a completed state.');
  const c = body.constraints ?? {};
  task.wire.constraints = {
    maxWallClockTime: c.maxWallClockTime ?? UNLIMITED,
    retentionTime: c.retentionTime ?? 'P7D',
    maxTaskRetryCount: c.maxTaskRetryCount ?? getJob(engine, jobId).wire.constraints.maxTaskRetryCount,
  };
  engine.touchTask(task);
  armWallClock(engine, task);
  return { status: 200, headers: entityHeaders(task.wire, task.wire.url) };
}

function terminateTask(engine: Engine, req: Request, [jobId, taskId]: string[]): Reply {
  const task = getTask(engine, jobId, taskId);
  writeConditions(req, task.wire);
  // Observed on the real service: terminating a completed task is 409 TaskCompleted.
  if (task.wire.state === 'completed') throw conflict('TaskCompleted', 'The specified task is already in a completed state.');
  stopTask(engine, task, taskEndedByUser);
  return { status: 204, headers: entityHeaders(task.wire, task.wire.url) };
}

function reactivateTask(engine: Engine, req: Request, [jobId, taskId]: string[]): Reply {
  const task = getTask(engine, jobId, taskId);
  writeConditions(req, task.wire);
  if (task.wire.state !== 'completed') throw conflict('TaskNotCompleted', 'The specified task is not completed.');
  if (task.wire.executionInfo.result !== 'failure') throw conflict('TaskNotFailed', 'Only a failed task can be reactivated.');
  const job = getJob(engine, jobId);
  jobAcceptingTasks(job);
  cancelRetention(engine, task);
  engine.setTaskState(task, 'active');
  const info = task.wire.executionInfo;
  task.wire.executionInfo = { retryCount: 0, requeueCount: info.requeueCount, ...(info.lastRequeueTime && { lastRequeueTime: info.lastRequeueTime }) };
  delete task.wire.nodeInfo;
  engine.touchTask(task);
  engine.kick();
  return { status: 204, headers: entityHeaders(task.wire, task.wire.url) };
}

function deleteTask(engine: Engine, req: Request, [jobId, taskId]: string[]): Reply {
  const task = getTask(engine, jobId, taskId);
  writeConditions(req, task.wire);
  killTaskProcess(engine, task);
  cancelRetention(engine, task);
  engine.unindexTask(task);
  if (task.taskDir) engine.discardDir(task.taskDir);
  engine.kick();
  checkAllTasksComplete(engine, jobId);
  return { status: 200 };
}

export function retentionExpired(task: TaskRecord): boolean {
  if (task.wire.state !== 'completed' || !task.wire.executionInfo.endTime) return false;
  const ms = parseDuration(task.wire.constraints.retentionTime) ?? UNLIMITED_MS;
  return Date.parse(task.wire.executionInfo.endTime) + ms < Date.now();
}

export const taskRoutes: Route[] = [
  route('POST', '/jobs/{jobId}/tasks', 'Task_Add', addTask),
  route('POST', '/jobs/{jobId}/addtaskcollection', 'Task_AddCollection', addCollection),
  route('GET', '/jobs/{jobId}/tasks', 'Task_List', listTasks),
  route('GET', '/jobs/{jobId}/tasks/{taskId}', 'Task_Get', (e, req, [jobId, taskId]) => {
    const task = getTask(e, jobId, taskId);
    return readConditions(req, task.wire) ?? entityReply(req, task.wire, 'tasks/@Element', entityHeaders(task.wire));
  }),
  route('PUT', '/jobs/{jobId}/tasks/{taskId}', 'Task_Update', updateTask),
  route('POST', '/jobs/{jobId}/tasks/{taskId}/terminate', 'Task_Terminate', terminateTask),
  route('POST', '/jobs/{jobId}/tasks/{taskId}/reactivate', 'Task_Reactivate', reactivateTask),
  route('DELETE', '/jobs/{jobId}/tasks/{taskId}', 'Task_Delete', deleteTask),
];

export { getTask };
