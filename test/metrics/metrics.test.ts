import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSpcRun } from '../../src/client';
import { freePort } from '../helpers/local-batch';
import { startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

/** The value of one sample line (`name{labels} value`), summed over lines whose labels include all `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_:][\w:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    if (!Object.entries(labels).every(([k, v]) => (match[2] ?? '').includes(`${k}="${v}"`))) continue;
    found = true;
    sum += Number(match[3]);
  }
  assert.ok(found, `${name} ${JSON.stringify(labels)} not in /metrics:\n${text.split('\n').filter((l) => l.startsWith('spc_')).join('\n')}`);
  return sum;
}

describe('worker metrics: the Prometheus endpoint at SPC_METRICS_ADDRESS', () => {
  let env: RunEnv;
  let worker: ChildProcess;
  let url: string;
  before(async () => {
    env = await startRunEnv();
    const address = `127.0.0.1:${await freePort()}`;
    url = `http://${address}/metrics`;
    worker = spawn(process.execPath, [path.resolve(__dirname, '../../src/worker.js')], {
      env: { ...process.env, ...env.config, SPC_METRICS_ADDRESS: address },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  });
  after(async () => {
    worker?.kill('SIGKILL');
    await env?.close();
  });

  it('shows LADs completed, failed and retried, Batch requests by operation and status, and task durations', async () => {
    // E06000002 fails once then succeeds; E06000003 fails both its attempts.
    const input = testInput(['E06000001', 'E06000002', 'E06000003'], {
      recipe: { name: 'spenser-sim', options: { durationMs: 300, scale: 0.01, failAttempts: { E06000002: 1, E06000003: 2 } } },
      retry: { maxAttempts: 2, backoffMs: 200 },
    });
    const summary = await (await startSpcRun(env.client, input, { workflowId: uniqueId('metrics'), taskQueue: env.taskQueue })).result();
    assert.equal(summary.status, 'completed_with_failures');

    // Workflow metrics are exported once the worker has processed the workflow tasks: poll with a deadline.
    let text = '';
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      text = await fetch(url).then((r) => r.text(), () => '');
      if (/^spc_lads_failed(\{[^}]*\})? [1-9]/m.test(text) && /^spc_lads_completed(\{[^}]*\})? 2$/m.test(text)) break;
    }
    assert.equal(sample(text, 'spc_lads_completed'), 2);
    assert.equal(sample(text, 'spc_lads_failed'), 1);
    assert.equal(sample(text, 'spc_lads_retried'), 2);
    assert.equal(sample(text, 'spc_task_duration_seconds_count'), 5, 'one duration per attempt');
    assert.ok(sample(text, 'spc_task_duration_seconds_sum') > 5 * 0.2, 'each attempt took at least its simulated time');
    assert.equal(sample(text, 'spc_batch_requests', { operation: 'POST /jobs/{id}/tasks', status: '201' }), 5, 'one task add per attempt');
    assert.ok(sample(text, 'spc_batch_requests', { operation: 'GET /jobs/{id}/tasks', status: '200' }) > 0, 'the poller lists tasks');
    assert.ok(sample(text, 'spc_batch_requests', { operation: 'POST /pools' }) >= 1, 'the pool was created');
    // The SDK's own metrics are there too.
    assert.match(text, /^temporal_workflow_completed/m);
  });
});
