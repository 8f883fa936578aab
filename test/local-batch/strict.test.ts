import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jsSignedRequest, PY_API_VERSION, type RawResponse } from '../helpers/batch-raw';
import { rejection, startTestBatch, waitForTask, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

/** The `values` of an error body as a name → value map. */
function valuesOf(res: RawResponse): Record<string, string> {
  return Object.fromEntries(((res.json?.values ?? []) as { key: string; value: string }[]).map((v) => [v.key, v.value]));
}

function assertUnsupported(res: RawResponse, property: string): void {
  assert.equal(res.status, 400, res.text);
  assert.equal(res.json?.code, 'UnsupportedProperty', res.text);
  assert.equal(valuesOf(res).PropertyName, property, res.text);
}

describe('local Batch strictness: unimplemented properties are refused, what real clients send works', () => {
  let b: TestBatch;
  let poolId: string;
  let jobId: string;
  // Raw bodies at the Python client's api-version (its signing is proven by the real SDK in sdk-python.test.ts).
  const post = (path: string, body: unknown) =>
    jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'POST', path, query: { 'api-version': PY_API_VERSION }, body: JSON.stringify(body) });

  before(async () => {
    b = await startTestBatch();
    poolId = uniqueId('strict-pool');
    jobId = uniqueId('strict-job');
  });
  after(() => b.stop());

  it('accepts the Python client\'s pool (marketplace imageReference) and task (autoUser task/admin)', async () => {
    const pool = await post('/pools', {
      id: poolId,
      vmSize: 'standard_d2s_v3',
      virtualMachineConfiguration: {
        imageReference: { publisher: 'canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
        nodeAgentSKUId: 'batch.node.ubuntu 24.04',
      },
      targetDedicatedNodes: 1,
    });
    assert.equal(pool.status, 201, pool.text);
    assert.equal((await post('/jobs', { id: jobId, poolInfo: { poolId } })).status, 201);
    const task = await post(`/jobs/${jobId}/tasks`, {
      id: 'py-task',
      commandLine: "/bin/sh -c 'echo ran'",
      userIdentity: { autoUser: { scope: 'task', elevationLevel: 'admin' } },
    });
    assert.equal(task.status, 201, task.text);
    const done = await waitForTask(b.client, jobId, 'py-task', 'completed');
    assert.equal(done.executionInfo?.exitCode, 0);
    assert.deepEqual(done.userIdentity, { autoUser: { scope: 'task', elevationLevel: 'admin' } });
    assert.equal((await b.client.pool.get(poolId)).virtualMachineConfiguration?.imageReference.offer, 'ubuntu-24_04-lts');
  });

  it('refuses task features it does not implement with 400 UnsupportedProperty naming the property, creating nothing', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['containerSettings', { containerSettings: { imageName: 'ubuntu:24.04' } }],
      ['multiInstanceSettings', { multiInstanceSettings: { numberOfInstances: 2, coordinationCommandLine: '/bin/true' } }],
      ['applicationPackageReferences', { applicationPackageReferences: [{ applicationId: 'app' }] }],
      ['exitConditions', { exitConditions: { default: { jobAction: 'terminate' } } }],
      ['authenticationTokenSettings', { authenticationTokenSettings: { access: ['job'] } }],
      ['userIdentity.userName', { userIdentity: { userName: 'alice' } }],
      ['resourceFiles.0.autoStorageContainerName', { resourceFiles: [{ autoStorageContainerName: 'inputs' }] }],
      ['outputFiles.0.destination.container.identityReference.clientId', {
        outputFiles: [{
          filePattern: '*.txt',
          destination: { container: { containerUrl: 'https://a.blob.core.windows.net/c', identityReference: { resourceId: '/x', clientId: 'c' } } },
          uploadOptions: { uploadCondition: 'taskcompletion' },
        }],
      }],
    ];
    for (const [property, extra] of cases) {
      const taskId = uniqueId('refused');
      assertUnsupported(await post(`/jobs/${jobId}/tasks`, { id: taskId, commandLine: '/bin/true', ...extra }), property);
      assert.equal((await rejection(b.client.task.get(jobId, taskId))).statusCode, 404, `${property}: nothing created`);
    }
  });

  it('refuses a property the Batch API does not have (a typo, a renamed field) instead of dropping it', async () => {
    const res = await post(`/jobs/${jobId}/tasks`, { id: uniqueId('typo'), commandLine: '/bin/true', resourceFiles: [{ blobSource: 'https://x/y', filePath: 'y' }] });
    assertUnsupported(res, 'resourceFiles.0.blobSource');
    assert.match(valuesOf(res).Reason, /no such property/);
    assertUnsupported(await post(`/jobs/${jobId}/tasks`, { id: uniqueId('typo'), commandline: '/bin/true', commandLine: '/bin/true' }), 'commandline');
  });

  it('names the task in an add collection (value[i].property) and adds the others', async () => {
    const ok = uniqueId('ok');
    const res = await post(`/jobs/${jobId}/addtaskcollection`, {
      value: [
        { id: ok, commandLine: '/bin/true' },
        { id: uniqueId('multi'), commandLine: '/bin/true', multiInstanceSettings: { numberOfInstances: 2 } },
      ],
    });
    assert.equal(res.status, 200, res.text);
    const results = res.json?.value as { status: string; taskId: string; error?: { code: string; values: { key: string; value: string }[] } }[];
    assert.equal(results.find((r) => r.taskId === ok)?.status, 'success');
    const refused = results.find((r) => r.taskId !== ok)!;
    assert.equal(refused.status, 'clienterror');
    assert.equal(refused.error?.code, 'UnsupportedProperty');
    assert.deepEqual(refused.error?.values.find((v) => v.key === 'PropertyName')?.value, 'value[1].multiInstanceSettings');
  });

  it('refuses job preparation/release/manager tasks and auto pools', async () => {
    for (const property of ['jobPreparationTask', 'jobReleaseTask', 'jobManagerTask']) {
      const id = uniqueId('job');
      assertUnsupported(await post('/jobs', { id, poolInfo: { poolId }, [property]: { commandLine: '/bin/true' } }), property);
      assert.equal((await rejection(b.client.job.get(id))).statusCode, 404);
    }
    assertUnsupported(await post('/jobs', { id: uniqueId('job'), poolInfo: { autoPoolSpecification: { poolLifetimeOption: 'job' } } }), 'poolInfo.autoPoolSpecification');
    assertUnsupported(await post('/jobs', { id: uniqueId('job'), poolInfo: { poolId }, allowTaskPreemption: true }), 'allowTaskPreemption');
  });

  it('refuses pool features it does not implement (containers, custom images, autoscale, app packages) and keeps off values', async () => {
    const image = { imageReference: { publisher: 'canonical', offer: 'ubuntu-24_04-lts', sku: 'server' }, nodeAgentSKUId: 'batch.node.ubuntu 24.04' };
    const cases: [string, Record<string, unknown>][] = [
      ['virtualMachineConfiguration.containerConfiguration', { virtualMachineConfiguration: { ...image, containerConfiguration: { type: 'dockerCompatible' } } }],
      ['virtualMachineConfiguration.imageReference.virtualMachineImageId', { virtualMachineConfiguration: { ...image, imageReference: { virtualMachineImageId: '/subscriptions/x/images/y' } } }],
      ['enableAutoScale', { enableAutoScale: true, autoScaleFormula: '$TargetDedicatedNodes=1' }],
      ['applicationPackageReferences', { applicationPackageReferences: [{ applicationId: 'app' }] }],
      ['startTask.containerSettings', { startTask: { commandLine: '/bin/true', containerSettings: { imageName: 'ubuntu' } } }],
      ['mountConfiguration', { mountConfiguration: [{ nfsMountConfiguration: { source: 'x', relativeMountPath: 'y' } }] }],
    ];
    for (const [property, extra] of cases) {
      const id = uniqueId('pool');
      assertUnsupported(await post('/pools', { id, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 0, ...extra }), property);
      assert.equal((await rejection(b.client.pool.get(id))).statusCode, 404, `${property}: nothing created`);
    }
    const off = await post('/pools', { id: uniqueId('pool'), vmSize: 'standard_d2s_v3', targetDedicatedNodes: 0, enableAutoScale: false, applicationPackageReferences: [], certificateReferences: [] });
    assert.equal(off.status, 201, off.text);
  });

  it('the @azure/batch SDK sees the same 400 (statusCode, code)', async () => {
    const err = await rejection(b.client.task.add(jobId, { id: uniqueId('sdk'), commandLine: '/bin/true', containerSettings: { imageName: 'ubuntu:24.04' } }));
    assert.equal(err.statusCode, 400);
    assert.equal(err.code, 'UnsupportedProperty');
    // The SDK's own updateProperties sends the required (empty) reference lists; that must keep working.
    await b.client.pool.updateProperties(poolId, { certificateReferences: [], applicationPackageReferences: [], metadata: [{ name: 'k', value: 'v' }] });
    assert.deepEqual((await b.client.pool.get(poolId)).metadata, [{ name: 'k', value: 'v' }]);
  });

  it('$filter: the real SDK gets 400 InvalidQueryParameterValue naming an undocumented property or operator; documented ones filter', async () => {
    const bad = await rejection(b.client.task.list(jobId, { taskListOptions: { filter: "commandLine eq '/bin/true'" } }));
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.code, 'InvalidQueryParameterValue');
    const raw = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'GET', path: '/pools', query: { 'api-version': PY_API_VERSION, $filter: "state gt 'active'" } });
    assert.equal(raw.status, 400);
    assert.match(valuesOf(raw).Reason, /Operator 'gt' cannot be applied to 'state' in Pool_List/);
    const nodes = await b.client.computeNode.list(poolId, { computeNodeListOptions: { filter: "state eq 'idle' or state eq 'running'" } });
    assert.equal(nodes.length, 1);
    const pools = await b.client.pool.list({ poolListOptions: { filter: `startswith(id,'${poolId}') and allocationState eq 'steady'` } });
    assert.deepEqual(pools.map((p) => p.id), [poolId]);
  });
});
