import type { Engine } from './engine';
import { conflict, notFound } from '../http/errors';
import { entityHeaders, jsonBody, metadataUrl, readConditions, writeConditions, type Reply, type Request } from '../http/request-reply';
import { armJobWallClock, checkAllTasksComplete, disableJob, enableJob, runningTasksOf, setJobState, terminateJob } from './job-lifecycle';
import { quotaUsage } from './quotas';
import { entityReply, listPage, route, type Route } from '../http/routing';
import { cancelRetention, killTaskProcess } from '../execution/task-runner';
import type { JobRecord, JobWire } from './types';
import { newEntityWire, UNLIMITED } from '../http/wire';
import { JobAddSchema, JobDisableSchema, JobPatchSchema, JobTerminateSchema, JobUpdateSchema, parseBody, type JobPatch } from '../http/wire-schemas';
import { JOB_FILTER } from '../query/filter-properties';

/** Job operations. */
export function getJob(engine: Engine, jobId: string): JobRecord {
  const job = engine.jobs.get(jobId.toLowerCase());
  if (!job) throw notFound('Job');
  return job;
}

function notDeleting(job: JobRecord, req?: Request): JobRecord {
  if (req) writeConditions(req, job.wire);
  if (job.wire.state === 'deleting') throw conflict('JobBeingDeleted', 'The specified job has been marked for deletion and is being reclaimed.');
  return job;
}

function addJob(engine: Engine, req: Request): Reply {
  const body = parseBody(JobAddSchema, jsonBody(req));
  const existing = engine.jobs.get(body.id.toLowerCase());
  if (existing?.wire.state === 'deleting') throw conflict('JobBeingDeleted', 'The specified job has been marked for deletion and is being reclaimed.');
  if (existing) throw conflict('JobExists', 'The specified job already exists.');
  const jobQuota = engine.quotas.activeJobAndJobScheduleQuota;
  if (jobQuota !== undefined && quotaUsage(engine).activeJobsAndJobSchedules >= jobQuota) {
    throw conflict('ActiveJobAndScheduleQuotaReached', `The specified account has reached its quota of active jobs and job schedules (${jobQuota}).`);
  }
  const entity = newEntityWire(body.id, engine.jobUrl(body.id));
  const now = entity.creationTime;
  const wire: JobWire = {
    ...entity,
    ...(body.displayName && { displayName: body.displayName }),
    priority: body.priority ?? 0,
    maxParallelTasks: body.maxParallelTasks ?? -1,
    ...(body.allowTaskPreemption !== undefined && { allowTaskPreemption: body.allowTaskPreemption }),
    usesTaskDependencies: body.usesTaskDependencies ?? false,
    constraints: { maxWallClockTime: body.constraints?.maxWallClockTime ?? UNLIMITED, maxTaskRetryCount: body.constraints?.maxTaskRetryCount ?? 0 },
    poolInfo: { poolId: body.poolInfo.poolId },
    onAllTasksComplete: body.onAllTasksComplete ?? 'noaction',
    onTaskFailure: body.onTaskFailure ?? 'noaction',
    ...(body.commonEnvironmentSettings && { commonEnvironmentSettings: body.commonEnvironmentSettings }),
    ...(body.metadata && { metadata: body.metadata }),
    executionInfo: { startTime: now, poolId: body.poolInfo.poolId },
  };
  const job: JobRecord = { seq: engine.nextSeq(), wire };
  engine.jobs.set(body.id.toLowerCase(), job);
  engine.touchJob(job);
  armJobWallClock(engine, job);
  checkAllTasksComplete(engine, job.wire.id);
  return { status: 201, headers: entityHeaders(job.wire, job.wire.url) };
}

function applyPatch(engine: Engine, job: JobRecord, body: JobPatch, replace: boolean): void {
  const wire = job.wire;
  // Checked before any change: a rejected request changes nothing.
  const newPool = body.poolInfo?.poolId;
  if (newPool && wire.state !== 'disabled' && wire.poolInfo.poolId?.toLowerCase() !== newPool.toLowerCase()) {
    throw conflict('JobNotDisabled', 'The pool of a job can only be changed while the job is disabled.');
  }
  if (body.priority !== undefined || replace) wire.priority = body.priority ?? 0;
  if (body.maxParallelTasks !== undefined || replace) wire.maxParallelTasks = body.maxParallelTasks ?? -1;
  if (body.constraints || replace) {
    wire.constraints = {
      maxWallClockTime: body.constraints?.maxWallClockTime ?? UNLIMITED,
      maxTaskRetryCount: body.constraints?.maxTaskRetryCount ?? 0,
    };
  }
  if (body.poolInfo?.poolId) {
    wire.poolInfo = { poolId: body.poolInfo.poolId };
    wire.executionInfo.poolId = body.poolInfo.poolId;
  }
  if (body.onAllTasksComplete || replace) wire.onAllTasksComplete = body.onAllTasksComplete ?? 'noaction';
  if (body.constraints || replace) armJobWallClock(engine, job);
  if (body.metadata || replace) wire.metadata = body.metadata;
  engine.touchJob(job);
  engine.kick();
  checkAllTasksComplete(engine, wire.id);
}

function patchJob(engine: Engine, req: Request, [jobId]: string[], replace: boolean): Reply {
  const job = notDeleting(getJob(engine, jobId), req);
  const body = replace ? parseBody(JobUpdateSchema, jsonBody(req)) : parseBody(JobPatchSchema, jsonBody(req));
  if (job.wire.state === 'completed' || job.wire.state === 'terminating') throw conflict('JobCompleted', 'The specified job is already in a completed state.');
  applyPatch(engine, job, body, replace);
  return { status: 200, headers: entityHeaders(job.wire, job.wire.url) };
}

function disable(engine: Engine, req: Request, [jobId]: string[]): Reply {
  const job = notDeleting(getJob(engine, jobId), req);
  const body = parseBody(JobDisableSchema, jsonBody(req));
  if (!['active', 'disabling', 'disabled'].includes(job.wire.state)) throw conflict('JobNotActive', 'The specified job is not in an active state.');
  if (job.wire.state === 'active') disableJob(engine, job, body.disableTasks);
  return { status: 202, headers: entityHeaders(job.wire, job.wire.url) };
}

function enable(engine: Engine, req: Request, [jobId]: string[]): Reply {
  const job = notDeleting(getJob(engine, jobId), req);
  if (!['disabled', 'disabling', 'enabling', 'active'].includes(job.wire.state)) throw conflict('JobNotDisabled', 'The specified job is not in a disabled state.');
  if (job.wire.state === 'disabled' || job.wire.state === 'disabling') enableJob(engine, job);
  return { status: 202, headers: entityHeaders(job.wire, job.wire.url) };
}

function terminate(engine: Engine, req: Request, [jobId]: string[]): Reply {
  const job = notDeleting(getJob(engine, jobId), req);
  const body = parseBody(JobTerminateSchema, jsonBody(req));
  if (job.wire.state === 'completed') throw conflict('JobCompleted', 'The specified job is already in a completed state.');
  if (job.wire.state !== 'terminating') terminateJob(engine, job, body.terminateReason ?? 'UserTerminate');
  return { status: 202, headers: entityHeaders(job.wire, job.wire.url) };
}

function deleteJob(engine: Engine, req: Request, [jobId]: string[]): Reply {
  const job = notDeleting(getJob(engine, jobId), req);
  setJobState(engine, job, 'deleting');
  for (const task of runningTasksOf(engine, job.wire.id)) killTaskProcess(engine, task);
  engine.later(engine.deletionDelayMs, () => removeJob(engine, job));
  return { status: 202 };
}

/** Deletes the job, its tasks and their directories. */
export function removeJob(engine: Engine, job: JobRecord): void {
  const key = job.wire.id.toLowerCase();
  if (engine.jobs.get(key) !== job) return;
  for (const task of engine.jobTasks.get(key) ?? []) {
    killTaskProcess(engine, task);
    cancelRetention(engine, task);
    engine.unindexTask(task);
    // Deleting a job deletes its tasks' directories regardless of retention.
    if (task.taskDir) engine.discardDir(task.taskDir);
  }
  engine.jobTasks.delete(key);
  engine.queues.delete(key);
  engine.counts.delete(key);
  engine.slotCounts.delete(key);
  engine.jobs.delete(key);
  engine.store.touch('job', key, () => null);
}

function taskCounts(engine: Engine, req: Request, [jobId]: string[]): Reply {
  const job = getJob(engine, jobId);
  const taskCounts = { ...engine.countsOf(job.wire.id) };
  const taskSlotCounts = { ...engine.slotCountsOf(job.wire.id) };
  return { status: 200, body: { 'odata.metadata': metadataUrl(req.origin, 'taskcounts/@Element'), taskCounts, taskSlotCounts } };
}

export const jobRoutes: Route[] = [
  route('POST', '/jobs', 'Job_Add', addJob),
  route('GET', '/jobs', 'Job_List', (e, req) => {
    const jobs = [...e.jobs.values()].sort((a, b) => a.seq - b.seq);
    return listPage(req, jobs, (j) => j.seq, () => true, (j) => j.wire, 'jobs', JOB_FILTER);
  }),
  route('GET', '/jobs/{jobId}', 'Job_Get', (e, req, [id]) => {
    const job = getJob(e, id);
    return readConditions(req, job.wire) ?? entityReply(req, job.wire, 'jobs/@Element', entityHeaders(job.wire));
  }),
  route('PATCH', '/jobs/{jobId}', 'Job_Patch', (e, req, p) => patchJob(e, req, p, false)),
  route('PUT', '/jobs/{jobId}', 'Job_Update', (e, req, p) => patchJob(e, req, p, true)),
  route('POST', '/jobs/{jobId}/disable', 'Job_Disable', disable),
  route('POST', '/jobs/{jobId}/enable', 'Job_Enable', enable),
  route('POST', '/jobs/{jobId}/terminate', 'Job_Terminate', terminate),
  route('DELETE', '/jobs/{jobId}', 'Job_Delete', deleteJob),
  route('GET', '/jobs/{jobId}/taskcounts', 'Job_GetTaskCounts', taskCounts),
];
