/**
 * Before a run: read the LAD list, check every input exists (failing non-retryably, naming the field, before
 * anything is created), then create the run's container, upload the recipe inputs once, create or reuse the
 * pool and resize it, and create the job. Every step is idempotent, so a retried prepare converges.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Context, heartbeat, log } from '@temporalio/activity';
import type { BatchServiceClient, BatchServiceModels } from '@azure/batch';
import type { BlobServiceClient } from '@azure/storage-blob';
import { parseLadList } from '../outputs/lad-lists';
import { recipeBlobInputs, recipeLocalInputs, recipeSecretEnvironment, recipeStartTask } from '../recipes';
import { containerOf, INPUTS_PREFIX, jobIdOf, poolIdOf } from '../schemas/names';
import type { PoolTarget } from '../schemas/progress';
import type { BlobRef, PoolSpec, Recipe } from '../schemas/run-input';
import { batchSignal, callSignal } from './clients';
import { codeOf, invalidInput, mapped, statusOf, toFailure } from './errors';
import { resourceFilesOf } from './batch-tasks';
import { MAX_SAS_VALIDITY_MS } from './sas';

export interface PrepareRunRequest {
  runId: string;
  recipe: Recipe;
  pool: PoolSpec;
  /** Use this container instead of the run's own (a redrive writes into the original run's). */
  container?: string;
}
export interface PreparedRun {
  container: string;
  jobId: string;
  poolId: string;
  pool: PoolTarget;
}

/** The image of pools we create (Ubuntu 22.04; the recipe's start task installs the rest). */
const IMAGE = {
  imageReference: { publisher: 'canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts', version: 'latest' },
  nodeAgentSKUId: 'batch.node.ubuntu 22.04',
};

export interface PrepareDeps {
  batch: BatchServiceClient;
  blobs: BlobServiceClient;
  env: Record<string, string | undefined>;
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
    async checkRunInputs({ recipe }: { recipe: Recipe }): Promise<void> {
      for (const file of recipeLocalInputs(recipe)) {
        if (!existsSync(file.localPath)) throw invalidInput(`recipe "${recipe.name}": input file ${file.blobName} is missing on the worker (${file.localPath})`);
      }
      for (const input of recipeBlobInputs(recipe)) {
        const exists = await mapped(`check ${input.field}`, () =>
          deps.blobs.getContainerClient(input.container).getBlobClient(input.blob).exists({ abortSignal: signal() }),
        );
        if (!exists) throw invalidInput(`${input.field}: blob ${input.container}/${input.blob} not found`);
      }
      for (const name of recipeSecretEnvironment(recipe)) {
        if (!deps.env[name]) throw invalidInput(`recipe "${recipe.name}" needs ${name} in the worker's environment`);
      }
    },

    /** Container, inputs, pool (create or reuse, then resize), job: all idempotent. */
    async prepareRun(req: PrepareRunRequest): Promise<PreparedRun> {
      const container = req.container ?? containerOf(req.runId);
      const jobId = jobIdOf(req.runId);
      const poolId = req.pool.id === 'create' ? poolIdOf(req.runId) : req.pool.id;
      const containerClient = deps.blobs.getContainerClient(container);
      await mapped(`create container ${container}`, () => containerClient.createIfNotExists({ abortSignal: signal() }));
      for (const file of recipeLocalInputs(req.recipe)) {
        const body = readFileSync(file.localPath);
        try {
          await containerClient.getBlockBlobClient(`${INPUTS_PREFIX}${file.blobName}`).upload(body, body.length, {
            conditions: { ifNoneMatch: '*' },
            abortSignal: signal(),
          });
        } catch (err) {
          if (statusOf(err) !== 409) throw toFailure(err, `upload input ${file.blobName}`);
        }
      }
      heartbeat();
      const pool = await ensurePool(deps, req, poolId, container);
      await ensureJob(deps.batch, jobId, poolId);
      log.info('run prepared', { runId: req.runId, container, jobId, poolId });
      return { container, jobId, poolId, pool };
    },
  };
}

async function ensurePool(deps: PrepareDeps, req: PrepareRunRequest, poolId: string, container: string): Promise<PoolTarget> {
  const target: PoolTarget = { id: poolId, targetDedicated: req.pool.dedicatedNodes, targetLowPriority: req.pool.lowPriorityNodes };
  const existing = await getPool(deps.batch, poolId);
  if (!existing) {
    const start = recipeStartTask(req.recipe);
    const pool: BatchServiceModels.PoolAddParameter = {
      id: poolId,
      vmSize: req.pool.vmSize,
      virtualMachineConfiguration: IMAGE,
      targetDedicatedNodes: req.pool.dedicatedNodes,
      targetLowPriorityNodes: req.pool.lowPriorityNodes,
      taskSlotsPerNode: req.pool.taskSlotsPerNode,
      ...(start && {
        startTask: {
          commandLine: start.commandLine,
          // Nodes added by a later resize run the start task again: its inputs stay readable for the run.
          resourceFiles: await resourceFilesOf(deps.blobs, container, start.inputFiles, MAX_SAS_VALIDITY_MS),
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

/** Resizes a pool; a resize already in progress is stopped first (Batch only resizes a steady pool). */
export async function resizeWhenSteady(batch: BatchServiceClient, poolId: string, target: PoolTarget): Promise<void> {
  const body = { targetDedicatedNodes: target.targetDedicated, targetLowPriorityNodes: target.targetLowPriority };
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

async function ensureJob(batch: BatchServiceClient, jobId: string, poolId: string): Promise<void> {
  try {
    await batch.job.add(
      { id: jobId, poolInfo: { poolId }, onAllTasksComplete: 'noaction', constraints: { maxTaskRetryCount: 0 } },
      { abortSignal: batchSignal(Context.current().cancellationSignal) },
    );
    return;
  } catch (err) {
    if (!(statusOf(err) === 409 && codeOf(err) === 'JobExists')) throw toFailure(err, `job add ${jobId}`);
  }
  const job = await mapped(`job get ${jobId}`, () => batch.job.get(jobId, { abortSignal: batchSignal(Context.current().cancellationSignal) }));
  if (job.poolInfo?.poolId !== poolId) throw invalidInput(`runId: job ${jobId} already exists on pool ${job.poolInfo?.poolId ?? '?'}; choose another run id`);
  const state = String(job.state ?? '').toLowerCase();
  if (state !== 'active' && state !== 'disabled' && state !== 'disabling' && state !== 'enabling') {
    throw invalidInput(`runId: job ${jobId} of an earlier run is ${state}; choose another run id`);
  }
}
