import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertFlowOutcome, assertFlowRequests, prepareFlow, type FlowFixture, type FlowOutcome, type FlowSpec } from '../helpers/batch-sdk-flow';
import { rejection, startTestBatch, type TestBatch } from '../helpers/local-batch';

/** dist/test/local-batch -> the repository root (the driver is not compiled, it runs from the source tree). */
const repoRoot = path.resolve(__dirname, '../../..');
const driver = path.join(repoRoot, 'test/local-batch/python/batch_flows.py');

/** The python of the azure-batch 11.0.0 environment: $SPC_PYTHON_BATCH (.ci/run sets it), else where the script makes it. */
function batchPython(): string {
  const python = process.env.SPC_PYTHON_BATCH ?? execFileSync('bash', [path.join(repoRoot, 'scripts/python-batch-venv.sh'), '--path'], { encoding: 'utf8' }).trim();
  if (!existsSync(python)) throw new Error(`no Python azure-batch environment at ${python}: run \`bash scripts/python-batch-venv.sh\` (it installs test/local-batch/python/requirements.txt from PyPI)`);
  return python;
}

/**
 * Runs the driver with the spec on stdin; resolves with its JSON report, rejects with its stderr when it fails or
 * outlives its bound (the SDK's add_collection retries a 5xx forever).
 */
function runDriver(python: string, spec: FlowSpec): Promise<FlowOutcome> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME };
    const child = spawn(python, [driver], { stdio: ['pipe', 'pipe', 'pipe'], env, timeout: 3 * spec.timeoutSeconds * 1000, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(JSON.parse(stdout) as FlowOutcome);
      else reject(new Error(`the Python driver ${signal ? `was killed (${signal}) after ${3 * spec.timeoutSeconds} s` : `exited with ${code}`}:\n${stderr}`));
    });
    child.stdin.end(JSON.stringify(spec));
  });
}

describe('the real Python azure-batch 11.0.0 SDK against the local Batch service', () => {
  let b: TestBatch;
  let fixture: FlowFixture;
  let python: string;
  before(async () => {
    python = batchPython();
    b = await startTestBatch();
    fixture = await prepareFlow({ url: b.service.url, accountName: b.accountName, accountKey: b.accountKey }, 'sdk-py');
  });
  after(async () => {
    await fixture?.remove();
    await b?.stop();
  });

  it('runs a Python user\'s flow: Ubuntu pool, job, add_collection of 150 tasks with SAS resource and output files, list until completed, stdout of each, a $filter, terminate, delete', async (t) => {
    await b.admin.resetStats();
    const outcome = await runDriver(python, fixture.spec);
    t.diagnostic(`timings (ms since start): ${JSON.stringify(outcome.timingsMs)}`);
    await assertFlowOutcome(fixture, outcome);

    // What the service saw: the SDK's api-version and signing accepted on every call, its add_collection split into
    // two requests, its lists walked by odata.nextLink.
    assertFlowRequests(await b.admin.getStats(), outcome);

    // Seen from the other SDK as well: nothing is left behind.
    assert.equal((await b.client.pool.exists(fixture.spec.poolId)).body, false);
    assert.equal((await rejection(b.client.job.get(fixture.spec.jobId))).code, 'JobNotFound');
  });
});
