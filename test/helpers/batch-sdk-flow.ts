/**
 * The one scenario both real Batch SDKs run against the local service (test/local-batch/sdk-python.test.ts with
 * azure-batch 11.0.0, sdk-node.test.ts with @azure/batch 10.2.0): a pool on a verified Ubuntu image, a job, 150
 * tasks added as a collection, each downloading a script and its own input by SAS URL and uploading an output file
 * and its stdout to a container SAS, waited for by listing in pages of 100, their stdout read back, the failed ones
 * listed by $filter, then the job terminated and deleted and the pool deleted.
 * This module makes the inputs in Azurite and checks what a driver reports plus what landed in Storage, so the two
 * SDKs are held to the same observable outcome.
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readUrl, writeUrl } from '../../src/activities/sas';
import { loadConfig, requireSharedKeys } from '../../src/config';
import type { StatsReport } from '../../src/local-batch';
import { uniqueId } from './stack';

export const FLOW_TASK_COUNT = 150;

/** What a task runs (downloaded as run.sh): it echoes its input to stdout and writes it to out/<task id>.txt. */
const RUN_SCRIPT = ['#!/bin/bash', 'set -euo pipefail', 'value=$(cat input.txt)', 'mkdir -p out', 'echo "$AZ_BATCH_TASK_ID=$value" > "out/$AZ_BATCH_TASK_ID.txt"', 'echo "task $AZ_BATCH_TASK_ID read $value"', ''].join('\n');

/** What a driver is given (the Python driver reads it as JSON on stdin). */
export interface FlowSpec {
  batchUrl: string;
  accountName: string;
  accountKey: string;
  poolId: string;
  jobId: string;
  vmSize: string;
  nodes: number;
  slotsPerNode: number;
  /** Read SAS of run.sh. */
  scriptUrl: string;
  /** Read SAS of each task's input, in task order (task-000, task-001, ...). */
  inputUrls: string[];
  /** Create+write SAS of the output container. */
  outputContainerUrl: string;
  timeoutSeconds: number;
}

/** What a driver reports (the Python driver prints it as JSON). */
export interface FlowOutcome {
  image: { nodeAgentSkuId: string; offer: string };
  addStatuses: string[];
  addedCount: number;
  pollRounds: number;
  tasks: { id: string; state: string; exitCode: number | null; result: string | null; failureCode: string | null; stdout: string }[];
  /** Ids the failed-tasks $filter listed. */
  failedListed: string[];
  jobGone: boolean;
  poolExists: boolean;
  timingsMs: Record<string, number>;
}

export interface FlowFixture {
  spec: FlowSpec;
  container: ContainerClient;
  /** The value each task's input holds, by task id; unique to this run, so nothing stale can pass. */
  values: Map<string, string>;
  /** Deletes the container. */
  remove(): Promise<void>;
}

export const flowTaskId = (index: number): string => `task-${String(index).padStart(3, '0')}`;

/** Uploads run.sh and one input per task into a new container of the stack's Azurite, and signs their SAS URLs. */
export async function prepareFlow(batch: { url: string; accountName: string; accountKey: string }, label: string): Promise<FlowFixture> {
  const blobs = BlobServiceClient.fromConnectionString(requireSharedKeys(loadConfig()).AZURE_STORAGE_CONNECTION_STRING);
  const name = uniqueId(label);
  const container = blobs.getContainerClient(name);
  await container.create();
  const nonce = randomBytes(4).toString('hex');
  const values = new Map(Array.from({ length: FLOW_TASK_COUNT }, (_, i) => [flowTaskId(i), `value-${i}-${nonce}`] as const));
  await container.uploadBlockBlob('run.sh', RUN_SCRIPT, Buffer.byteLength(RUN_SCRIPT));
  const ids = [...values.keys()];
  for (let i = 0; i < ids.length; i += 25) {
    await Promise.all(ids.slice(i, i + 25).map((id) => container.uploadBlockBlob(`inputs/${id}.txt`, values.get(id)!, values.get(id)!.length)));
  }
  const hourMs = 3_600_000;
  const spec: FlowSpec = {
    batchUrl: batch.url,
    accountName: batch.accountName,
    accountKey: batch.accountKey,
    poolId: uniqueId(`${label}-pool`),
    jobId: uniqueId(`${label}-job`),
    vmSize: 'standard_d2s_v3',
    nodes: 4,
    slotsPerNode: 4,
    scriptUrl: await readUrl(blobs, name, 'run.sh', hourMs),
    inputUrls: await Promise.all(ids.map((id) => readUrl(blobs, name, `inputs/${id}.txt`, hourMs))),
    outputContainerUrl: await writeUrl(blobs, name, hourMs),
    timeoutSeconds: 45,
  };
  return { spec, container, values, remove: async () => void (await container.deleteIfExists()) };
}

/**
 * Holds what the service saw of a driver (its admin stats since a reset) to the scenario: two add-collection
 * requests, every list poll walked both pages of 100 plus one filtered list, the job terminated once, one stdout read
 * per task, and nothing refused (404s are a driver's polls for the deleted job and pool).
 */
export function assertFlowRequests(stats: StatsReport, outcome: FlowOutcome): void {
  const count = (operation: string) => stats.requests[operation]?.count ?? 0;
  assert.deepEqual(stats.requests.Task_AddCollection, { count: 2, byStatus: { '200': 2 } });
  assert.equal(count('Task_List'), 2 * outcome.pollRounds + 1, 'each poll took two pages of 100 (the SDK followed odata.nextLink)');
  assert.deepEqual(stats.requests.Job_Terminate, { count: 1, byStatus: { '202': 1 } });
  assert.deepEqual(stats.requests.File_GetFromTask, { count: FLOW_TASK_COUNT, byStatus: { '200': FLOW_TASK_COUNT } });
  const refused = Object.entries(stats.requests)
    .filter(([, counts]) => Object.keys(counts.byStatus).some((status) => Number(status) >= 400 && status !== '404'))
    .map(([operation, counts]) => [operation, counts.byStatus]);
  assert.deepEqual(refused, [], 'no request was refused');
}

async function blobText(container: ContainerClient, name: string): Promise<string> {
  return (await container.getBlobClient(name).downloadToBuffer()).toString('utf8');
}

/**
 * Holds a driver's report and the container to the scenario: the verified Ubuntu image, every add a success, all
 * tasks succeeded with their own input echoed on stdout, each output and stdout blob in Storage with that content,
 * and the job and pool gone.
 */
export async function assertFlowOutcome(fixture: FlowFixture, outcome: FlowOutcome): Promise<void> {
  assert.deepEqual(outcome.image, { nodeAgentSkuId: 'batch.node.ubuntu 24.04', offer: 'ubuntu-24_04-lts' }, 'the newest verified Ubuntu image');
  assert.deepEqual(outcome.addStatuses, ['success']);
  assert.equal(outcome.addedCount, FLOW_TASK_COUNT);
  assert.ok(outcome.pollRounds >= 1);
  assert.deepEqual(outcome.tasks.map((t) => t.id).sort(), [...fixture.values.keys()], 'the list walked every page and every task');
  for (const task of outcome.tasks) {
    assert.deepEqual(
      { state: task.state, exitCode: task.exitCode, result: task.result, failureCode: task.failureCode },
      { state: 'completed', exitCode: 0, result: 'success', failureCode: null },
      task.id,
    );
    assert.equal(task.stdout, `task ${task.id} read ${fixture.values.get(task.id)}\n`, task.id);
  }
  assert.deepEqual(outcome.failedListed, [], 'the failed-tasks filter lists none');
  const names = new Set<string>();
  for await (const blob of fixture.container.listBlobsFlat()) names.add(blob.name);
  const ids = [...fixture.values.keys()];
  for (const id of ids) assert.ok(names.has(`results/${id}.txt`) && names.has(`logs/${id}/stdout.txt`), `the outputs of ${id} were uploaded`);
  for (let i = 0; i < ids.length; i += 25) {
    await Promise.all(ids.slice(i, i + 25).map(async (id) => {
      assert.equal(await blobText(fixture.container, `results/${id}.txt`), `${id}=${fixture.values.get(id)}\n`, id);
      assert.equal(await blobText(fixture.container, `logs/${id}/stdout.txt`), `task ${id} read ${fixture.values.get(id)}\n`, id);
    }));
  }
  assert.equal(outcome.jobGone, true, 'the job is gone');
  assert.equal(outcome.poolExists, false, 'the pool is gone');
}
