import type { BatchServiceClient, BatchServiceModels } from '@azure/batch';
import { after, before, describe, it } from 'node:test';
import { assertFlowOutcome, assertFlowRequests, flowTaskId, prepareFlow, type FlowFixture, type FlowOutcome, type FlowSpec } from '../helpers/batch-sdk-flow';
import { batchClient, readTaskFile, startTestBatch, waitFor, type TestBatch } from '../helpers/local-batch';

/** One task as a user of @azure/batch writes it: the same definition the Python driver builds. */
function taskOf(spec: FlowSpec, index: number): BatchServiceModels.TaskAddParameter {
  const id = flowTaskId(index);
  const container = (path: string) => ({ container: { containerUrl: spec.outputContainerUrl, path } });
  return {
    id,
    commandLine: '/bin/bash run.sh',
    resourceFiles: [
      { httpUrl: spec.scriptUrl, filePath: 'run.sh' },
      { httpUrl: spec.inputUrls[index], filePath: 'input.txt' },
    ],
    outputFiles: [
      { filePattern: 'out/*.txt', destination: container('results'), uploadOptions: { uploadCondition: 'tasksuccess' } },
      { filePattern: '../stdout.txt', destination: container(`logs/${id}/stdout.txt`), uploadOptions: { uploadCondition: 'taskcompletion' } },
    ],
    userIdentity: { autoUser: { scope: 'task', elevationLevel: 'admin' } },
  };
}

/** Every task of the job, in pages of 100 walked by odata.nextLink. */
async function listAllTasks(client: BatchServiceClient, jobId: string): Promise<BatchServiceModels.CloudTask[]> {
  let page = await client.task.list(jobId, { taskListOptions: { select: 'id,state,executionInfo', maxResults: 100 } });
  const tasks = [...page];
  while (page.odatanextLink) {
    page = await client.task.listNext(page.odatanextLink);
    tasks.push(...page);
  }
  return tasks;
}

/** The scenario through @azure/batch 10.2.0, reported as the Python driver reports it. */
async function runFlow(spec: FlowSpec): Promise<FlowOutcome> {
  const client = batchClient(spec.batchUrl, spec.accountKey, spec.accountName);
  const started = Date.now();
  const timingsMs: Record<string, number> = {};
  const images = await client.account.listSupportedImages({ accountListSupportedImagesOptions: { filter: "osType eq 'linux' and verificationType eq 'verified'" } });
  const ubuntu = images.filter((i) => i.imageReference.publisher?.toLowerCase() === 'canonical' && i.nodeAgentSKUId.startsWith('batch.node.ubuntu'));
  const image = ubuntu.sort((a, b) => (a.nodeAgentSKUId < b.nodeAgentSKUId ? 1 : -1))[0];
  await client.pool.add({
    id: spec.poolId,
    vmSize: spec.vmSize,
    virtualMachineConfiguration: { imageReference: image.imageReference, nodeAgentSKUId: image.nodeAgentSKUId },
    targetDedicatedNodes: spec.nodes,
    taskSlotsPerNode: spec.slotsPerNode,
  });
  await client.job.add({ id: spec.jobId, poolInfo: { poolId: spec.poolId } });

  // @azure/batch sends what it is given: a collection of more than 100 is the caller's to split.
  const tasks = spec.inputUrls.map((_, i) => taskOf(spec, i));
  const results: BatchServiceModels.TaskAddResult[] = [];
  for (let i = 0; i < tasks.length; i += 100) results.push(...((await client.task.addCollection(spec.jobId, tasks.slice(i, i + 100))).value ?? []));
  timingsMs.added = Date.now() - started;

  let pollRounds = 0;
  const listed = await waitFor('every task completed', async () => {
    pollRounds++;
    const all = await listAllTasks(client, spec.jobId);
    return all.every((t) => t.state === 'completed') ? all : undefined;
  }, spec.timeoutSeconds * 1000, 250);
  timingsMs.completed = Date.now() - started;

  const reported = [];
  for (const task of listed) {
    const info = task.executionInfo!;
    reported.push({
      id: task.id!,
      state: String(task.state),
      exitCode: info.exitCode ?? null,
      result: info.result ?? null,
      failureCode: info.failureInfo?.code ?? null,
      stdout: await readTaskFile(client, spec.jobId, task.id!, 'stdout.txt'),
    });
  }
  const failed = await client.task.list(spec.jobId, { taskListOptions: { filter: '(executionInfo/exitCode lt 0) or (executionInfo/exitCode gt 0)', select: 'id' } });
  timingsMs.read = Date.now() - started;

  await client.job.terminate(spec.jobId);
  await client.job.deleteMethod(spec.jobId);
  await client.pool.deleteMethod(spec.poolId);
  const jobGone = () => client.job.get(spec.jobId).then(() => false, (err: { code?: string }) => (err.code === 'JobNotFound' ? true : Promise.reject(err)));
  await waitFor('the job gone', async () => (await jobGone()) || undefined, spec.timeoutSeconds * 1000, 250);
  await waitFor('the pool gone', async () => ((await client.pool.exists(spec.poolId)).body ? undefined : true), spec.timeoutSeconds * 1000, 250);
  timingsMs.deleted = Date.now() - started;

  return {
    image: { nodeAgentSkuId: image.nodeAgentSKUId, offer: String(image.imageReference.offer) },
    addStatuses: [...new Set(results.map((r) => r.status))].sort(),
    addedCount: results.length,
    pollRounds,
    tasks: reported,
    failedListed: failed.map((t) => t.id!),
    jobGone: await jobGone(),
    poolExists: (await client.pool.exists(spec.poolId)).body,
    timingsMs,
  };
}

describe('the real @azure/batch 10.2.0 SDK through the same flow as the Python one', () => {
  let b: TestBatch;
  let fixture: FlowFixture;
  before(async () => {
    b = await startTestBatch();
    fixture = await prepareFlow({ url: b.service.url, accountName: b.accountName, accountKey: b.accountKey }, 'sdk-js');
  });
  after(async () => {
    await fixture?.remove();
    await b?.stop();
  });

  it('Ubuntu pool, job, addCollection of 150 tasks (in two calls) with SAS resource and output files, list until completed, stdout of each, a $filter, terminate, delete', async (t) => {
    await b.admin.resetStats();
    const outcome = await runFlow(fixture.spec);
    t.diagnostic(`timings (ms since start): ${JSON.stringify(outcome.timingsMs)}`);
    await assertFlowOutcome(fixture, outcome);
    assertFlowRequests(await b.admin.getStats(), outcome);
  });
});
