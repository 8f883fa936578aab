import { BatchServiceClient, BatchSharedKeyCredentials } from '@azure/batch';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { jsSignedRequest } from '../helpers/batch-raw';
import { startTestBatch, TEST_BATCH_ACCOUNT, type TestBatch } from '../helpers/local-batch';
import { uniqueId } from '../helpers/stack';

interface RestErrorLike {
  statusCode: number;
  code: string;
  message: unknown;
  response?: { headers: { get(name: string): string | undefined } };
}

async function rejection(promise: Promise<unknown>): Promise<RestErrorLike> {
  try {
    await promise;
  } catch (err) {
    return err as RestErrorLike;
  }
  assert.fail('expected the call to be rejected');
}

describe('local Batch protocol: auth, api-version, headers, error bodies', () => {
  let b: TestBatch;
  before(async () => {
    b = await startTestBatch();
  });
  after(() => b.stop());

  it('accepts the real SDK and rejects a wrong key with 403 AuthenticationFailed', async () => {
    await b.client.pool.list();
    const wrong = new BatchServiceClient(new BatchSharedKeyCredentials(TEST_BATCH_ACCOUNT, randomBytes(32).toString('base64')), b.service.url);
    const err = await rejection(wrong.pool.list());
    assert.equal(err.statusCode, 403);
    assert.equal(err.code, 'AuthenticationFailed');
  });

  it('rejects a request whose ocp-date is more than 15 minutes old, and one without a date', async () => {
    const stale = new Date(Date.now() - 16 * 60 * 1000).toUTCString();
    const old = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'GET', path: '/pools', headers: { 'ocp-date': stale } });
    assert.equal(old.status, 403);
    assert.equal(old.json?.code, 'AuthenticationFailed');
    const fresh = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'GET', path: '/pools' });
    assert.equal(fresh.status, 200);
    const unsigned = await fetch(`${b.service.url}/pools?api-version=2022-10-01.16.0`);
    assert.equal(unsigned.status, 403);
  });

  it('error bodies carry code, message {lang, value} and values; the SDK exposes the message object', async () => {
    const err = await rejection(b.client.job.get(uniqueId('missing')));
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, 'JobNotFound');
    assert.equal((err.message as unknown as { lang: string }).lang, 'en-US');
    const raw = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'GET', path: '/jobs/nope' });
    assert.match(String(raw.json?.['odata.metadata']), /\$metadata#Microsoft\.Azure\.Batch\.Protocol\.Entities\.Container\.errors\/@Element$/);
    assert.match((raw.json?.message as { value: string }).value, /^The specified job does not exist\.\nRequestId:[0-9a-f-]{36}\nTime:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    assert.match(raw.headers.get('request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('a missing api-version is 400 MissingRequiredQueryParameter; an unknown one 400 UnsupportedRequestVersion', async () => {
    const missing = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'GET', path: '/pools', query: { 'api-version': null } });
    assert.equal(missing.status, 400);
    assert.equal(missing.json?.code, 'MissingRequiredQueryParameter');
    assert.deepEqual(missing.json?.values, [{ key: 'QueryParameterName', value: 'api-version' }]);
    const unknown = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'GET', path: '/pools', query: { 'api-version': '2099-01-01.99.0' } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json?.code, 'UnsupportedRequestVersion');
  });

  it('echoes client-request-id only when return-client-request-id is true', async () => {
    const id = crypto.randomUUID();
    const echoed = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, {
      method: 'GET',
      path: '/pools',
      headers: { 'client-request-id': id, 'return-client-request-id': 'true' },
    });
    assert.equal(echoed.headers.get('client-request-id'), id);
    const silent = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'GET', path: '/pools', headers: { 'client-request-id': id } });
    assert.equal(silent.headers.get('client-request-id'), null);
  });

  it('adds return 201 with ETag, Last-Modified and DataServiceId; entities carry 7-digit timestamps', async () => {
    const poolId = uniqueId('hdr');
    const response = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, {
      method: 'POST',
      path: '/pools',
      body: JSON.stringify({ id: poolId, vmSize: 'standard_d2s_v3', targetDedicatedNodes: 0 }),
    });
    assert.equal(response.status, 201);
    assert.match(response.headers.get('etag') ?? '', /^0x[0-9A-F]+$/);
    assert.ok(!Number.isNaN(Date.parse(response.headers.get('last-modified') ?? '')));
    assert.equal(response.headers.get('dataserviceid'), `${b.service.url}/pools/${poolId}`);
    const get = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'GET', path: `/pools/${poolId}` });
    assert.match(String(get.json?.creationTime), /\.\d{7}Z$/);
    assert.equal(get.headers.get('content-type'), 'application/json;odata=minimalmetadata');
    await b.client.pool.deleteMethod(poolId);
  });

  it('malformed JSON is 400 InvalidRequestBody and nothing is stored', async () => {
    const response = await jsSignedRequest(b.service.url, b.accountName, b.accountKey, { method: 'POST', path: '/jobs', body: '{"id": "x",' });
    assert.equal(response.status, 400);
    assert.equal(response.json?.code, 'InvalidRequestBody');
    assert.equal(await b.client.job.list().then((jobs) => jobs.some((j) => j.id === 'x')), false);
  });

  it('counts requests per operation and status in the admin stats', async () => {
    await b.admin.resetStats();
    await b.client.pool.list();
    await rejection(b.client.pool.get(uniqueId('nope')));
    const stats = await b.admin.getStats();
    assert.deepEqual(stats.requests.Pool_List, { count: 1, byStatus: { '200': 1 } });
    assert.deepEqual(stats.requests.Pool_Get, { count: 1, byStatus: { '404': 1 } });
    assert.equal(stats.total, 2);
    await assert.rejects(fetch(`${b.service.url}/_admin/stats`).then((r) => (r.ok ? r : Promise.reject(new Error(String(r.status))))), /403/);
  });
});
