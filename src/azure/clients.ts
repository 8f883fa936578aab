/**
 * Construction of the Azure clients from the config, for the worker's activities and for the CLI and main job alike
 * (which must not import activities). Credentials stay in here and in the clients: a shared key where one is
 * configured (the embedded stack), else an Entra ID token credential (DefaultAzureCredential unless one is given).
 */
import { BatchServiceClient, BatchSharedKeyCredentials } from '@azure/batch';
import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient, type StoragePipelineOptions } from '@azure/storage-blob';
import type { MetricMeter } from '@temporalio/common';
import type { Config } from '../schemas/config';
import { BatchTokenCredentials } from './batch-token-credentials';
import { batchMetricsPolicies } from './batch-metrics';
import { defaultCredential } from './credential';

/**
 * A Batch client whose SDK-level retries are off (`noRetryPolicy`). Why: @azure/batch 10.2.0 never retries a 429
 * and retries 5xx for about two minutes ignoring Retry-After, which would hide throttling from heartbeats and
 * timeouts. Temporal retries instead, by status and code, with Retry-After as the next retry delay.
 */
export function createBatchClient(
  config: Pick<Config, 'AZURE_BATCH_URL' | 'AZURE_BATCH_ACCOUNT' | 'AZURE_BATCH_KEY' | 'AZURE_BATCH_SCOPE' | 'SPC_ENTRA_INSTANCE_DISCOVERY'>,
  /** Counts requests (`spc_batch_requests`) on this meter, fetched at the first request. */
  metricMeter?: () => MetricMeter,
  /** Entra ID credential to use when no key is configured. @default DefaultAzureCredential */
  credential?: TokenCredential,
): BatchServiceClient {
  const credentials =
    config.AZURE_BATCH_KEY === undefined
      ? new BatchTokenCredentials(credential ?? defaultCredential(config), config.AZURE_BATCH_SCOPE)
      : new BatchSharedKeyCredentials(config.AZURE_BATCH_ACCOUNT, config.AZURE_BATCH_KEY);
  return new BatchServiceClient(credentials, config.AZURE_BATCH_URL.replace(/\/+$/, ''), {
    noRetryPolicy: true,
    ...(metricMeter && { requestPolicyFactories: batchMetricsPolicies(metricMeter) }),
  });
}

/** Storage's own retries are kept short (Temporal retries too). */
const storageOptions: StoragePipelineOptions = {
  retryOptions: { maxTries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 5000, tryTimeoutInMs: 60_000 },
};

/** A blob service client from the connection string, else for the account URL with an Entra ID credential. */
export function createBlobServiceClient(
  config: Pick<Config, 'AZURE_STORAGE_CONNECTION_STRING' | 'AZURE_STORAGE_ACCOUNT_URL' | 'SPC_ENTRA_INSTANCE_DISCOVERY'>,
  /** Entra ID credential to use when no key is configured. @default DefaultAzureCredential */
  credential?: TokenCredential,
): BlobServiceClient {
  if (config.AZURE_STORAGE_CONNECTION_STRING !== undefined) {
    return BlobServiceClient.fromConnectionString(config.AZURE_STORAGE_CONNECTION_STRING, storageOptions);
  }
  if (config.AZURE_STORAGE_ACCOUNT_URL === undefined) throw new RangeError('AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL must be set');
  return new BlobServiceClient(config.AZURE_STORAGE_ACCOUNT_URL, credential ?? defaultCredential(config), storageOptions);
}
