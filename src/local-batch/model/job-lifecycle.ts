import type { Engine } from './engine';
import { requeueTask, stopTask } from '../execution/task-runner';
import type { FailureInfo, JobRecord, JobState, TaskRecord } from './types';
import { isoTime, parseDuration, UNLIMITED_MS } from '../http/wire';

/** Job state changes: terminate (and onAllTasksComplete), disable / enable, delete. */
export function setJobState(engine: Engine, job: JobRecord, state: JobState): void {
  const wire = job.wire;
  if (wire.state !== state) {
    wire.previousState = wire.state;
    wire.previousStateTransitionTime = wire.stateTransitionTime;
    wire.state = state;
    wire.stateTransitionTime = isoTime();
  }
  engine.touchJob(job);
}

export function runningTasksOf(engine: Engine, jobId: string): TaskRecord[] {
  const list = engine.jobTasks.get(jobId.toLowerCase()) ?? [];
  return list.filter((t) => (t.wire.state === 'running' || t.wire.state === 'preparing') && engine.tasks.has(`${t.jobId.toLowerCase()}\u0000${t.wire.id.toLowerCase()}`));
}

const endedByJob = (reason: string): FailureInfo => ({ category: 'usererror', code: 'TaskEnded', message: `Task was ended because the job was terminated (${reason})` });

/** terminating -> completed: running tasks are killed; active tasks stay active and never run. */
export function terminateJob(engine: Engine, job: JobRecord, reason: string): void {
  setJobState(engine, job, 'terminating');
  job.wire.executionInfo.terminateReason = reason;
  if (engine.countsOf(job.wire.id).running > 0) for (const task of runningTasksOf(engine, job.wire.id)) stopTask(engine, task, endedByJob(reason));
  engine.later(1, () => {
    if (job.wire.state !== 'terminating') return;
    job.wire.executionInfo.endTime = isoTime();
    setJobState(engine, job, 'completed');
  });
}

/** onAllTasksComplete=terminatejob: once no task is active or running, the job terminates (also with zero tasks). */
export function checkAllTasksComplete(engine: Engine, jobId: string): void {
  const job = engine.jobs.get(jobId.toLowerCase());
  if (!job || job.wire.onAllTasksComplete !== 'terminatejob' || job.wire.state !== 'active') return;
  const counts = engine.countsOf(jobId);
  if (counts.active === 0 && counts.running === 0) terminateJob(engine, job, 'AllTasksComplete');
}

/** active -> disabling -> disabled; running tasks are requeued, terminated or left to finish. */
export function disableJob(engine: Engine, job: JobRecord, disableTasks: 'requeue' | 'terminate' | 'wait'): void {
  job.disableTasks = disableTasks;
  setJobState(engine, job, 'disabling');
  for (const task of runningTasksOf(engine, job.wire.id)) {
    if (disableTasks === 'requeue') requeueTask(engine, task, true);
    else if (disableTasks === 'terminate') stopTask(engine, task, { category: 'usererror', code: 'TaskEnded', message: 'Task was ended because the job was disabled' });
  }
  engine.later(1, () => {
    if (job.wire.state === 'disabling') setJobState(engine, job, 'disabled');
  });
}

/** disabled -> enabling -> active; queued tasks become schedulable again. */
export function enableJob(engine: Engine, job: JobRecord): void {
  job.disableTasks = undefined;
  setJobState(engine, job, 'enabling');
  engine.later(1, () => {
    if (job.wire.state !== 'enabling') return;
    setJobState(engine, job, 'active');
    engine.kick();
    checkAllTasksComplete(engine, job.wire.id);
  });
}

const jobTimers = new WeakMap<JobRecord, NodeJS.Timeout>();

/** Arms the job's maxWallClockTime (from its creation): when it passes, the job terminates with MaxWallClockTimeExpiry. */
export function armJobWallClock(engine: Engine, job: JobRecord): void {
  engine.cancel(jobTimers.get(job));
  const limit = parseDuration(job.wire.constraints.maxWallClockTime) ?? UNLIMITED_MS;
  if (limit >= UNLIMITED_MS) return;
  const left = Date.parse(job.wire.creationTime) + limit - Date.now();
  if (left >= 2 ** 31) return;
  jobTimers.set(
    job,
    engine.later(Math.max(0, left), () => {
      if (engine.jobs.get(job.wire.id.toLowerCase()) !== job) return;
      if (['active', 'disabling', 'disabled', 'enabling'].includes(job.wire.state)) terminateJob(engine, job, 'MaxWallClockTimeExpiry');
    }),
  );
}
