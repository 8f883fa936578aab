/**
 * Every activity of spc-temporal, built by {@link createActivities} from the worker's config (clients are made
 * once per worker and shared; so is the task poller that serves every awaiting activity).
 */
import type { BatchServiceClient } from '@azure/batch';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { MetricMeter } from '@temporalio/common';
import { createBatchClient, createBlobServiceClient } from '../azure/clients';
import { loadConfig, usesEntraForBatch } from '../config';
import type { Config } from '../schemas/config';
import { createBatchTaskActivities } from './batch-tasks';
import { createControlActivities } from './controls';
import { createFinalizeActivities } from './finalize';
import { createLadOrderActivities } from './lad-order';
import { createLadOutputActivities } from './lad-outputs';
import { createLadRecordActivities } from './lad-records';
import { createPrepareActivities } from './prepare';
import { createPoolFallbackActivities } from './pool-fallback';
import { createPoolWatchActivities } from './pool-watch';
import { createReaperActivities } from './reaper';
import { createSmokeActivities } from './smoke';
import { createScrubber, workerSecrets, type Scrubber } from './scrub';
import { TaskPoller } from './task-poller';

/** What the activities use; each can be given (tests, embedding), else it is built from the config. */
export interface ActivityDeps {
  batch: BatchServiceClient;
  blobs: BlobServiceClient;
  poller: TaskPoller;
  /** Worker environment for recipe secrets (e.g. NOMIS_API_KEY). @default process.env */
  env: Record<string, string | undefined>;
  /** Removes the worker's secrets from text we store. @default built from the config and env */
  scrub: Scrubber;
  /** SAS validity settings (SPC_TASK_SAS_MARGIN_MS, SPC_START_TASK_SAS_MS), ms. */
  taskSasMarginMs: number;
  startTaskSasMs: number;
  /** SPC_TASK_SECRETS, split. */
  taskSecretNames: string[];
  /** SPC_POOL_OUTPUT_IDENTITY: tasks upload outputs as this pool identity, with no write SAS. */
  outputIdentity?: string;
}

/** The activities and the resources behind them; `close()` stops the shared poller. */
export interface ActivityBundle {
  activities: SpcActivities;
  deps: ActivityDeps;
  close(): void;
}

/** Builds the clients and activities for one worker. */
export function createActivityBundle(
  config: Readonly<Config> = loadConfig(),
  given: Partial<ActivityDeps> = {},
  /** Where Batch request counts go (the worker runtime's meter), fetched at the first request. */
  metricMeter?: () => MetricMeter,
): ActivityBundle {
  const batch = given.batch ?? createBatchClient(config, metricMeter);
  const blobs = given.blobs ?? createBlobServiceClient(config);
  const env = given.env ?? process.env;
  const startTaskSasMs = Number(config.SPC_START_TASK_SAS_MS);
  const poller = given.poller ?? new TaskPoller(batch, { blobs, startTaskSasMs, credentialHint: batchCredentialHint(config) });
  const deps: ActivityDeps = {
    batch,
    blobs,
    poller,
    env,
    scrub: given.scrub ?? createScrubber(workerSecrets(config, env)),
    taskSasMarginMs: Number(config.SPC_TASK_SAS_MARGIN_MS),
    startTaskSasMs,
    taskSecretNames: config.SPC_TASK_SECRETS.split(',').filter(Boolean),
    outputIdentity: given.outputIdentity ?? config.SPC_POOL_OUTPUT_IDENTITY,
  };
  return { activities: buildActivities(deps), deps, close: () => deps.poller.close() };
}

/** What to check when Batch refuses the worker: its key, or the identity behind its token. */
export function batchCredentialHint(config: Pick<Config, 'AZURE_BATCH_KEY' | 'AZURE_BATCH_ACCOUNT' | 'AZURE_BATCH_SCOPE'>): string {
  return usesEntraForBatch(config)
    ? `the Entra ID identity of the worker (role "Azure Batch Data Contributor" on Batch account ${config.AZURE_BATCH_ACCOUNT}) and AZURE_BATCH_SCOPE (${config.AZURE_BATCH_SCOPE})`
    : `AZURE_BATCH_KEY of Batch account ${config.AZURE_BATCH_ACCOUNT}`;
}

/**
 * Every activity of spc-temporal, from the worker's config.
 * @example Worker.create({ ..., activities: createActivities(loadConfig()) })
 */
export function createActivities(config: Readonly<Config> = loadConfig(), given: Partial<ActivityDeps> = {}): SpcActivities {
  return createActivityBundle(config, given).activities;
}

function buildActivities(deps: ActivityDeps) {
  return {
    ...createSmokeActivities(deps.blobs),
    ...createPrepareActivities(deps),
    ...createPoolWatchActivities(deps),
    ...createPoolFallbackActivities(deps),
    ...createBatchTaskActivities(deps),
    ...createLadOutputActivities(deps),
    ...createFinalizeActivities(deps),
    ...createLadRecordActivities(deps),
    ...createLadOrderActivities(deps),
    ...createControlActivities(deps),
    ...createReaperActivities(deps),
  };
}

/** The activity interface the workflows proxy. */
export type SpcActivities = ReturnType<typeof buildActivities>;
