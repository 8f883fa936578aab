/**
 * reapOrphans: one pass of the reaper. Lists every job and pool, keeps those tagged (src/schemas/batch-tags.ts)
 * for this namespace and task queue and not kept on purpose, asks Temporal whether each owning workflow still
 * runs, and for an orphan does what the run would have done at its end:
 * - job: terminate (kills its tasks), then the pool step, then delete the job last, so a pass that dies half-way
 *   still finds the job (and its restore size) on the next pass;
 * - pool the run created: delete it; pool it reused (`spc-pool-restore`): resize it back, never delete it;
 * - a run-owned pool without a job (cancelled during prepare): delete it.
 * Idempotent: every step tolerates "already done". A resource whose liveness is in doubt is skipped and reported.
 * Before the Batch resources, the LAD children of closed runs are cancelled (src/activities/reaper-lads.ts).
 */
import { CancelledFailure, Context, heartbeat, log } from '@temporalio/activity';
import type { BatchServiceClient, BatchServiceModels } from '@azure/batch';
import type { Client } from '@temporalio/client';
import { formatPoolSize, isKept, isRunOwnedPool, readJobPool, readRunTags, TAG, tagOf, type RunTags } from '../schemas/batch-tags';
import { formatIssues } from '../schemas/issues';
import { ReapRequestSchema, type Reaped, type ReapReport, type ReapRequest, type ReapSkipped } from '../schemas/reaper';
import { invalidInput, toFailure } from './errors';
import { deleteJob, deletePool, listJobs, listPools, resizePoolTo, terminateJob } from './reaper-batch';
import { reapLadChildren } from './reaper-lads';
import { livenessCache, type Liveness } from './run-liveness';

type Job = BatchServiceModels.CloudJob;
type Pool = BatchServiceModels.CloudPool;

/** Job states in which a job may still run tasks on its pool. */
const ACTIVE_JOB_STATES = new Set(['active', 'disabling', 'disabled', 'enabling', 'terminating']);

export function createReaperActivities({ batch }: { batch: BatchServiceClient }) {
  return {
    /** Terminates and deletes what runs of this namespace and task queue left behind when their workflow closed. */
    async reapOrphans(raw: ReapRequest): Promise<ReapReport> {
      const parsed = ReapRequestSchema.safeParse(raw);
      if (!parsed.success) throw invalidInput(`invalid reapOrphans input: ${formatIssues(parsed.error)}`);
      const req = parsed.data;
      const context = Context.current();
      // The activity's client is bound to the worker's namespace: it cannot judge another namespace's workflows.
      if (req.namespace !== context.info.workflowNamespace) {
        throw invalidInput(`reapOrphans: namespace "${req.namespace}" is not this worker's ("${context.info.workflowNamespace}")`);
      }
      return new ReaperPass(batch, context.client, livenessCache(context.client), req).run();
    },
  };
}

/** One pass over a snapshot of the account's jobs and pools. */
class ReaperPass {
  private readonly report: ReapReport = { checked: 0, reaped: [], skipped: [] };
  private readonly deletedPools = new Set<string>();

  constructor(
    private readonly batch: BatchServiceClient,
    private readonly client: Client,
    private readonly liveness: (workflowId: string) => Promise<Liveness>,
    private readonly req: ReapRequest,
  ) {}

  async run(): Promise<ReapReport> {
    // LADs first: a cancelled LAD's activity terminates its own task, before its job is terminated below.
    const lads = await reapLadChildren(this.client, this.req, this.liveness, Date.now());
    this.report.reaped.push(...lads.reaped);
    this.report.skipped.push(...lads.skipped);
    const [jobs, pools] = [await listJobs(this.batch), await listPools(this.batch)];
    const poolsById = new Map(pools.filter((p) => p.id).map((p) => [p.id!, p]));
    const ours = <T extends Job | Pool>(r: T): RunTags | undefined => {
      const tags = readRunTags(r.metadata);
      return tags && tags.namespace === this.req.namespace && tags.taskQueue === this.req.taskQueue && !isKept(r.metadata) && r.state !== 'deleting' ? tags : undefined;
    };
    const orphanJobs: { job: Job; run: RunTags }[] = [];
    for (const job of jobs) {
      const run = ours(job);
      if (run && (await this.isOrphan('job', job.id!, run))) orphanJobs.push({ job, run });
    }
    const orphanIds = new Set(orphanJobs.map((o) => o.job.id));
    for (const { job, run } of orphanJobs) {
      const othersOnPool = (poolId: string) => jobs.filter((j) => !orphanIds.has(j.id) && poolOfJob(j) === poolId && ACTIVE_JOB_STATES.has(String(j.state)));
      await this.step('job', job.id!, run, () => this.reapJob(job, run, poolsById, othersOnPool));
    }
    for (const pool of pools) {
      const run = isRunOwnedPool(pool.metadata) ? ours(pool) : undefined;
      if (!run || !(await this.isOrphan('pool', pool.id!, run)) || this.deletedPools.has(pool.id!)) continue;
      await this.step('pool', pool.id!, run, async () => {
        await deletePool(this.batch, pool.id!);
        this.reaped('pool', pool.id!, run, 'deleted');
      });
    }
    log.info('reaper pass done', { taskQueue: this.req.taskQueue, checked: this.report.checked, reaped: this.report.reaped.length, skipped: this.report.skipped.length });
    return this.report;
  }

  /** Counts a tagged resource and tells whether its workflow is closed (doubt is reported as skipped). */
  private async isOrphan(kind: 'job' | 'pool', id: string, run: RunTags): Promise<boolean> {
    this.report.checked += 1;
    const liveness = await this.liveness(run.workflowId);
    heartbeat({ checked: this.report.checked });
    if (liveness.kind === 'doubt') this.skipped(kind, id, run, liveness.reason);
    return liveness.kind === 'closed';
  }

  private async reapJob(job: Job, run: RunTags, pools: Map<string, Pool>, othersOnPool: (poolId: string) => Job[]): Promise<void> {
    const jobId = job.id!;
    await terminateJob(this.batch, jobId, `spc reaper: workflow ${run.workflowId} is closed`);
    const tagged = readJobPool(job.metadata);
    const poolId = tagged.poolId ?? job.poolInfo?.poolId;
    const pool = poolId ? pools.get(poolId) : undefined;
    if (poolId && pool && pool.state !== 'deleting') {
      if (tagged.created) {
        const owner = tagOf(pool.metadata, TAG.workflowId);
        if (isKept(pool.metadata)) log.info('reaper: pool kept by its run', { poolId, workflowId: run.workflowId });
        else if (owner && owner !== run.workflowId) this.skipped('pool', poolId, run, `tagged for workflow ${owner}, not this job's`);
        else {
          await deletePool(this.batch, poolId);
          this.deletedPools.add(poolId);
          this.reaped('pool', poolId, run, 'deleted');
        }
      } else if (tagged.restore) {
        const others = othersOnPool(poolId);
        const size = tagged.restore;
        if (others.length > 0) {
          this.skipped('pool', poolId, run, `not resized back: in use by job ${others[0].id}`);
        } else if (pool.targetDedicatedNodes !== size.targetDedicated || pool.targetLowPriorityNodes !== size.targetLowPriority) {
          const outcome = pool.allocationState === 'steady' ? await resizePoolTo(this.batch, poolId, size) : 'busy';
          // Not steady: keep the job (and its restore size) for the next pass.
          if (outcome === 'busy') return this.skipped('job', jobId, run, `pool ${poolId} is resizing; resized back on a later pass`);
          if (outcome === 'resized') this.reaped('pool', poolId, run, `resized to ${formatPoolSize(size)}`);
        }
      }
    }
    await deleteJob(this.batch, jobId);
    this.reaped('job', jobId, run, 'terminated, deleted');
  }

  /** Runs one resource's steps; a failure skips that resource (reported) and the pass goes on. */
  private async step(kind: 'job' | 'pool', id: string, run: RunTags, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (err instanceof CancelledFailure || Context.current().cancellationSignal.aborted) throw err;
      this.skipped(kind, id, run, toFailure(err, `${kind} ${id}`).message);
    }
    heartbeat({ checked: this.report.checked });
  }

  private reaped(kind: 'job' | 'pool', id: string, run: RunTags, action: string): void {
    const entry: Reaped = { kind, id, workflowId: run.workflowId, action };
    this.report.reaped.push(entry);
    log.info(`reaper: ${kind} ${action}`, { [`${kind}Id`]: id, workflowId: run.workflowId, runId: run.runId });
  }

  private skipped(kind: 'job' | 'pool', id: string, run: RunTags, reason: string): void {
    const entry: ReapSkipped = { kind, id, workflowId: run.workflowId, reason };
    this.report.skipped.push(entry);
    log.warn(`reaper: ${kind} skipped`, { [`${kind}Id`]: id, workflowId: run.workflowId, reason });
  }
}

/** The pool a job runs on: its tag, else its poolInfo. */
const poolOfJob = (job: Job): string | undefined => tagOf(job.metadata, TAG.poolId) ?? job.poolInfo?.poolId;
