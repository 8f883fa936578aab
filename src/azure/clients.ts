/**
 * Construction of the Azure clients from the config, for the worker's activities and for the CLI and main job alike
 * (which must not import activities). Credentials stay in here and in the clients.
 */
import { BatchServiceClient, BatchSharedKeyCredentials } from '@azure/batch';
import { BlobServiceClient } from '@azure/storage-blob';
import type { MetricMeter } from '@temporalio/common';
import type { Config } from '../schemas/config';
import { batchMetricsPolicies } from './batch-metrics';

/**
 * A Batch client whose SDK-level retries are off (`noRetryPolicy`). Why: @azure/batch 10.2.0 never retries a 429
 * and retries 5xx for about two minutes ignoring Retry-After, which would hide throttling from heartbeats and
 * timeouts. Temporal retries instead, by status and code, with Retry-After as the next retry delay.
 */
export function createBatchClient(
  config: Pick<Config, 'AZURE_BATCH_URL' | 'AZURE_BATCH_ACCOUNT' | 'AZURE_BATCH_KEY'>,
  /** Counts requests (`spc_batch_requests`) on this meter, fetched at the first request. */
  metricMeter?: () => MetricMeter,
): BatchServiceClient {
  const credentials = new BatchSharedKeyCredentials(config.AZURE_BATCH_ACCOUNT, config.AZURE_BATCH_KEY);
  return new BatchServiceClient(credentials, config.AZURE_BATCH_URL.replace(/\/+$/, ''), {
    noRetryPolicy: true,
    ...(metricMeter && { requestPolicyFactories: batchMetricsPolicies(metricMeter) }),
  });
}

/** A blob service client from the connection string; its own retries are kept short (Temporal retries too). */
export function createBlobServiceClient(config: Pick<Config, 'AZURE_STORAGE_CONNECTION_STRING'>): BlobServiceClient {
  return BlobServiceClient.fromConnectionString(config.AZURE_STORAGE_CONNECTION_STRING, {
    retryOptions: { maxTries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 5000, tryTimeoutInMs: 60_000 },
  });
}
