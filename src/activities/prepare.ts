/**
 * Before a run: read the LAD list, check every input exists (failing non-retryably, naming the field, before
 * anything is created), then create the run's container, upload the recipe inputs once, create or reuse the
 * pool and resize it, and create the job. Every step is idempotent, so a retried prepare converges.
 */
import { existsSync, readFileSync } from 'node:fs';
import { activityInfo, ApplicationFailure, Context, heartbeat, log } from '@temporalio/activity';
import type { BatchServiceClient, BatchServiceModels } from '@azure/batch';
import type { BlobServiceClient } from '@azure/storage-blob';
import { parseLadList } from '../outputs/lad-lists';
import { recipeBlobInputs, recipeLocalInputs, recipeSecretEnvironment, recipeStartTask } from '../recipes';
import { belongsTo, identityTags, tagOf, TAG_OWNER, TAG_POOL_CREATED, TAG_POOL_ID, TAG_POOL_RESTORE, TAG_WORKFLOW_ID, type RunIdentity } from '../schemas/batch-tags';
import { containerOf, INPUTS_PREFIX, jobIdOf, poolIdOf } from '../schemas/names';
import type { PoolTarget } from '../schemas/progress';
import type { BlobRef, PoolSpec, Recipe } from '../schemas/run-input';
import { batchSignal, callSignal } from './clients';
import { codeOf, invalidInput, mapped, messageOf, statusOf, toFailure } from './errors';
import { isFallbackCode } from '../schemas/pool-watch';
import { loadRates, missingRates } from './rates';
import { resourceFilesOf } from './batch-tasks';

export interface PrepareRunRequest {
  runId: string;
  recipe: Recipe;
  pool: PoolSpec;
  /** Use this container instead of the run's own (a redrive writes into the original run's). */
  container?: string;
  /** The workflow's first run id (`firstExecutionRunId`): tells this run from another that reuses its workflow id. */
  runChain?: string;
  /** Epoch ms at which the run stops (its timeout); the job's wall clock is set from it. */
  deadline?: number;
  /** The Batch job's priority (-1000..1000): a pool shared by jobs runs the higher one's tasks first. @default 0 */
  priority?: number;
}
export interface PreparedRun {
  container: string;
  jobId: string;
  poolId: string;
  pool: PoolTarget;
  /** True when the run created the pool (and may delete it); false for a reused `pool.id`. */
  poolCreated: boolean;
  /** Index in `pool.vmSizes` of the size the pool was created with, when not the first. */
  vmSizeIndex?: number;
  /** Why each earlier size was refused (`<size>: <code> <message>`), for the audit trail. */
  refused?: string[];
}

/**
 * The image of pools we create: Ubuntu 24.04 (22.04's Batch support ends on 30 June 2027, 20.04's ended in April
 * 2025); the recipe's start task installs the rest, its Python included (no system Python is relied on).
 */
export const POOL_IMAGE = {
  imageReference: { publisher: 'canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
  nodeAgentSKUId: 'batch.node.ubuntu 24.04',
};

export interface PrepareDeps {
  batch: BatchServiceClient;
  blobs: BlobServiceClient;
  env: Record<string, string | undefined>;
  /** Validity of the start task's SAS URLs, ms. */
  startTaskSasMs: number;
  /** Worker variables a custom recipe may pass to its tasks. */
  taskSecretNames: readonly string[];
}

export function createPrepareActivities(deps: PrepareDeps) {
  const signal = () => callSignal(Context.current().cancellationSignal);
  return {
    /** Reads a LAD list CSV (`LAD20CD` or `LAD code` column) from storage; bad content is non-retryable. */
    async readLadsCsv({ source }: { source: BlobRef }): Promise<string[]> {
      const where = `ladsCsvBlob ${source.container}/${source.blob}`;
      let text: string;
      try {
        const body = await deps.blobs.getContainerClient(source.container).getBlobClient(source.blob).downloadToBuffer(0, undefined, { abortSignal: signal() });
        text = body.toString('utf8');
      } catch (err) {
        if (statusOf(err) === 404) throw invalidInput(`${where}: not found`);
        throw toFailure(err, `read ${where}`);
      }
      let lads: string[];
      try {
        lads = parseLadList(text, where);
      } catch (err) {
        throw invalidInput((err as Error).message);
      }
      if (lads.length === 0) throw invalidInput(`${where}: lists no LAD`);
      return lads;
    },

    /** Checks the recipe's inputs exist (worker files, blobs, secrets) before anything is created. */
    async checkRunInputs({ recipe, cost }: { recipe: Recipe; cost?: CostCheck }): Promise<void> {
      if (cost) await checkRates(cost);
      for (const file of recipeLocalInputs(recipe)) {
        if (!existsSync(file.localPath)) throw invalidInput(`recipe "${recipe.name}": input file ${file.blobName} is missing on the worker (${file.localPath})`);
      }
      for (const input of recipeBlobInputs(recipe)) {
        const exists = await mapped(`check ${input.field}`, () =>
          deps.blobs.getContainerClient(input.container).getBlobClient(input.blob).exists({ abortSignal: signal() }),
        );
        if (!exists) throw invalidInput(`${input.field}: blob ${input.container}/${input.blob} not found`);
      }
      for (const name of recipe.name === 'custom' ? recipe.secretEnvironment : []) {
        if (!deps.taskSecretNames.includes(name)) {
          throw invalidInput(`recipe.secretEnvironment: ${name} is not a variable this worker hands to tasks (SPC_TASK_SECRETS=${deps.taskSecretNames.join(',')})`);
        }
      }
      for (const name of recipeSecretEnvironment(recipe)) {
        if (!deps.env[name]) throw invalidInput(`recipe "${recipe.name}" needs ${name} in the worker's environment`);
      }
    },

    /**
     * Job, container, inputs, pool: all idempotent. The job comes first: it is where a reused run id is refused
     * (before anything else exists), the record of a reused pool's size before the run, and Batch's own killswitch
     * (its wall clock ends the work an hour past the run's deadline if everything above it has died).
     */
    async prepareRun(req: PrepareRunRequest): Promise<PreparedRun> {
      const identity = runIdentityOf(req.runId, req.runChain);
      const container = req.container ?? containerOf(req.runId);
      const jobId = jobIdOf(req.runId);
      const poolCreated = req.pool.id === 'create';
      const poolId = poolCreated ? poolIdOf(req.runId) : req.pool.id;
      await ensureJob(deps, { identity, jobId, poolId, poolCreated, deadline: req.deadline, ...(req.priority !== undefined && { priority: req.priority }) });
      const containerClient = deps.blobs.getContainerClient(container);
      await mapped(`create container ${container}`, () => containerClient.createIfNotExists({ abortSignal: signal() }));
      for (const file of recipeLocalInputs(req.recipe)) {
        const body = readFileSync(file.localPath);
        try {
          // A redrive writes into the original's container: its inputs are replaced by today's recipe files.
          await containerClient.getBlockBlobClient(`${INPUTS_PREFIX}${file.blobName}`).upload(body, body.length, {
            ...(!req.container && { conditions: { ifNoneMatch: '*' } }),
            abortSignal: signal(),
          });
        } catch (err) {
          if (statusOf(err) !== 409) throw toFailure(err, `upload input ${file.blobName}`);
        }
      }
      heartbeat();
      const { pool, vmSizeIndex, refused } = await ensurePoolOfSizes(deps, req, identity, poolId, container);
      log.info('run prepared', { runId: req.runId, container, jobId, poolId });
      return { container, jobId, poolId, pool, poolCreated, ...(vmSizeIndex > 0 && { vmSizeIndex, refused }) };
    },
  };
}

/** Who a run is, for its Batch tags: from the calling activity's workflow. */
export function runIdentityOf(runId: string, runChain: string | undefined): RunIdentity {
  const info = activityInfo();
  return {
    runId,
    workflowId: info.workflowExecution?.workflowId ?? runId,
    runChain: runChain ?? info.workflowExecution?.runId ?? runId,
    namespace: info.workflowNamespace ?? 'default',
    taskQueue: info.taskQueue,
  };
}

/**
 * Creates the run's pool with the first size of `pool.vmSizes` that Batch accepts: a Pool_Add refused for capacity
 * or core quota moves on to the next size (each refusal is returned for the audit trail). A reused pool is taken
 * as it is.
 */
/** What the cost estimate needs checked before a run: its rates file reads, and covers the pool when a budget is set. */
export interface CostCheck {
  ratesFile?: string;
  budget?: number;
  vmSizes: string[];
  dedicated: boolean;
  spot: boolean;
}

async function checkRates(cost: CostCheck): Promise<void> {
  let file;
  try {
    file = await loadRates(cost.ratesFile);
  } catch (err) {
    throw invalidInput((err as Error).message);
  }
  if (cost.budget === undefined) return;
  const missing = missingRates(file, cost.vmSizes, cost);
  if (missing.length > 0) throw invalidInput(`budget: the rates file (${cost.ratesFile ?? 'the shipped one'}) has no rate for ${missing.join(', ')}; a budget needs every size priced`);
}

async function ensurePoolOfSizes(
  deps: PrepareDeps,
  req: PrepareRunRequest,
  identity: RunIdentity,
  poolId: string,
  container: string,
): Promise<{ pool: PoolTarget; vmSizeIndex: number; refused: string[] }> {
  const sizes = req.pool.id === 'create' && req.pool.vmSizes?.length ? req.pool.vmSizes : [req.pool.vmSize];
  const refused: string[] = [];
  for (let i = 0; ; i++) {
    try {
      return { pool: await ensurePool(deps, { ...req, pool: { ...req.pool, vmSize: sizes[i] } }, identity, poolId, container), vmSizeIndex: i, refused };
    } catch (err) {
      if (!(err instanceof ApplicationFailure && err.type === POOL_ADD_REFUSED)) throw err;
      // The last size refused too: the run fails with Batch's own error, mapped as any other.
      if (i + 1 >= sizes.length) throw toFailure(err.cause, `pool add ${poolId}`);
      refused.push(`${sizes[i]}: ${String(err.details?.[0] ?? '?')} ${err.message}`);
    }
  }
}

/** Internal: a Pool_Add refused for capacity or quota (the caller may try the next VM size). */
const POOL_ADD_REFUSED = 'PoolAddRefusedForCapacity';

/** Creates the run's pool (or accepts the one an earlier try made) and sets its targets. */
export async function ensurePool(deps: PrepareDeps, req: PrepareRunRequest, identity: RunIdentity, poolId: string, container: string): Promise<PoolTarget> {
  const target: PoolTarget = { id: poolId, targetDedicated: req.pool.dedicatedNodes, targetLowPriority: req.pool.lowPriorityNodes };
  const existing = await getPool(deps.batch, poolId);
  if (!existing) {
    const start = recipeStartTask(req.recipe);
    const pool: BatchServiceModels.PoolAddParameter = {
      id: poolId,
      vmSize: req.pool.vmSize,
      virtualMachineConfiguration: POOL_IMAGE,
      targetDedicatedNodes: req.pool.dedicatedNodes,
      targetLowPriorityNodes: req.pool.lowPriorityNodes,
      taskSlotsPerNode: req.pool.taskSlotsPerNode,
      metadata: [...identityTags(identity), { name: TAG_OWNER, value: 'run' }],
      ...(start && {
        startTask: {
          commandLine: start.commandLine,
          // Nodes added later run the start task again; watching workers re-sign these URLs when half-way to expiry.
          resourceFiles: await resourceFilesOf(deps.blobs, container, start.inputFiles, deps.startTaskSasMs),
          environmentSettings: start.secretEnvironment.map((name) => ({ name, value: deps.env[name] ?? '' })),
          userIdentity: { autoUser: { scope: 'pool', elevationLevel: 'admin' } },
          waitForSuccess: true,
          maxTaskRetryCount: 2,
        },
      }),
    };
    try {
      await deps.batch.pool.add(pool, { abortSignal: batchSignal(Context.current().cancellationSignal) });
      return target;
    } catch (err) {
      if (isFallbackCode(codeOf(err)) && statusOf(err) !== undefined && statusOf(err)! < 500) {
        throw new ApplicationFailure(messageOf(err), POOL_ADD_REFUSED, true, [codeOf(err)], err as Error);
      }
      if (!(statusOf(err) === 409 && codeOf(err) === 'PoolExists')) throw toFailure(err, `pool add ${poolId}`);
    }
  }
  const current = existing ?? (await getPool(deps.batch, poolId));
  if (current && (current.targetDedicatedNodes !== target.targetDedicated || current.targetLowPriorityNodes !== target.targetLowPriority)) {
    await resizeWhenSteady(deps.batch, poolId, target);
  }
  return target;
}

export async function getPool(batch: BatchServiceClient, poolId: string): Promise<BatchServiceModels.CloudPool | undefined> {
  try {
    return await batch.pool.get(poolId, { abortSignal: batchSignal(Context.current().cancellationSignal) });
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw toFailure(err, `pool get ${poolId}`);
  }
}

/**
 * Resizes a pool; a resize already in progress is stopped first (Batch only resizes a steady pool). A shrink lets
 * running tasks finish (`taskcompletion`) unless told otherwise: Batch's own default, `requeue`, kills hours of work.
 */
export async function resizeWhenSteady(
  batch: BatchServiceClient,
  poolId: string,
  target: PoolTarget,
  nodeDeallocationOption: BatchServiceModels.ComputeNodeDeallocationOption = 'taskcompletion',
): Promise<void> {
  const body = { targetDedicatedNodes: target.targetDedicated, targetLowPriorityNodes: target.targetLowPriority, nodeDeallocationOption };
  for (let tries = 0; ; tries++) {
    try {
      await batch.pool.resize(poolId, body, { abortSignal: batchSignal(Context.current().cancellationSignal) });
      return;
    } catch (err) {
      if (!(statusOf(err) === 409 && codeOf(err) === 'PoolBeingResized') || tries >= 20) throw toFailure(err, `pool resize ${poolId}`);
    }
    if (tries === 0) {
      await batch.pool.stopResize(poolId, { abortSignal: batchSignal(Context.current().cancellationSignal) }).catch(() => undefined);
    }
    heartbeat();
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface JobPlan {
  identity: RunIdentity;
  jobId: string;
  poolId: string;
  poolCreated: boolean;
  deadline?: number;
  priority?: number;
}

/**
 * Creates the run's job, tagged with who the run is, or accepts the one an earlier try of this very run made. A job
 * or run pool of another workflow (a reused run id) is refused before anything is created.
 */
async function ensureJob(deps: PrepareDeps, plan: JobPlan): Promise<void> {
  const { batch } = deps;
  const existing = await getJob(batch, plan.jobId);
  if (existing) {
    if (belongsTo(existing.metadata, plan.identity)) return;
    const owner = tagOf(existing.metadata, TAG_WORKFLOW_ID);
    throw invalidInput(`runId: job ${plan.jobId} already exists${owner ? ` for workflow ${owner}` : ''} (${String(existing.state ?? '?').toLowerCase()}); choose another run id`);
  }
  const pool = await getPool(batch, plan.poolId);
  if (plan.poolCreated && pool && !belongsTo(pool.metadata, plan.identity)) {
    throw invalidInput(`runId: pool ${plan.poolId} already exists and is not this run's; choose another run id (or reuse it with pool.id)`);
  }
  if (!plan.poolCreated && !pool) throw invalidInput(`pool.id: pool ${plan.poolId} does not exist (use "create" for a pool of the run's own)`);
  const restore = !plan.poolCreated && pool ? `${pool.targetDedicatedNodes ?? 0},${pool.targetLowPriorityNodes ?? 0}` : undefined;
  const wallClockMs = plan.deadline !== undefined ? Math.max(60_000, plan.deadline - Date.now() + JOB_KILLSWITCH_GRACE_MS) : undefined;
  const metadata = [
    ...identityTags(plan.identity),
    { name: TAG_POOL_ID, value: plan.poolId },
    { name: TAG_POOL_CREATED, value: String(plan.poolCreated) },
    ...(restore ? [{ name: TAG_POOL_RESTORE, value: restore }] : []),
  ];
  try {
    await batch.job.add(
      {
        id: plan.jobId,
        poolInfo: { poolId: plan.poolId },
        onAllTasksComplete: 'noaction',
        ...(plan.priority !== undefined && { priority: plan.priority }),
        constraints: { maxTaskRetryCount: 0, ...(wallClockMs !== undefined && { maxWallClockTime: `PT${Math.ceil(wallClockMs / 1000)}S` }) },
        metadata,
      },
      { abortSignal: batchSignal(Context.current().cancellationSignal) },
    );
  } catch (err) {
    // Added by a request of ours whose answer was lost: read it again to be sure it is ours.
    if (!(statusOf(err) === 409 && codeOf(err) === 'JobExists')) throw toFailure(err, `job add ${plan.jobId}`);
    const again = await getJob(batch, plan.jobId);
    if (!again || !belongsTo(again.metadata, plan.identity)) throw invalidInput(`runId: job ${plan.jobId} already exists; choose another run id`);
  }
}

/** After the run's deadline, how long Batch waits before its job wall clock stops every task (finalize's time). */
const JOB_KILLSWITCH_GRACE_MS = 3_600_000;

export async function getJob(batch: BatchServiceClient, jobId: string): Promise<BatchServiceModels.CloudJob | undefined> {
  try {
    return await batch.job.get(jobId, { abortSignal: batchSignal(Context.current().cancellationSignal) });
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw toFailure(err, `job get ${jobId}`);
  }
}
