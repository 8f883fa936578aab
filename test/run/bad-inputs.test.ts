import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { startSpcRun } from '../../src/client';
import { containerOf } from '../../src/schemas/names';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

describe('spcRun rejects bad input at once, naming the field, creating nothing', () => {
  let env: RunEnv;
  let csvContainer: string;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
    csvContainer = uniqueId('lads').toLowerCase();
    const container = env.blobs.getContainerClient(csvContainer);
    await container.create();
    const bad = 'LAD20CD,LAD20NM\nE06000001,Hartlepool\nE0600000X,Nowhere\n';
    await container.getBlockBlobClient('bad.csv').upload(bad, bad.length);
    const noColumn = 'code\nE06000001\n';
    await container.getBlockBlobClient('no-column.csv').upload(noColumn, noColumn.length);
  });
  after(async () => {
    await env.blobs.getContainerClient(csvContainer).deleteIfExists();
    await env.close();
  });

  const cases: [string, (lads: string[]) => unknown, RegExp][] = [
    ['a LAD code with a shell command', () => ({ lads: ['E0600001; rm -rf /'] }), /lads\.0: "E0600001; rm -rf \/" must match/],
    ['an empty LAD list', () => ({ lads: [] }), /lads: must not be empty/],
    ['a duplicated LAD', (l) => ({ lads: [l[0], l[1], l[0]] }), /lads: must not repeat a LAD \(E06000001\)/],
    ['an unknown recipe', (l) => ({ lads: l, recipe: { name: 'spenser-turbo' } }), /recipe\.name: must name a known recipe/],
    ['nodes < 0', (l) => ({ lads: l, pool: { dedicatedNodes: -1 } }), /pool\.dedicatedNodes: must be >= 0/],
    ['wrong types', () => ({ lads: 'E06000001', retry: { maxAttempts: 'three' } }), /lads: .*array.*retry\.maxAttempts/s],
    ['an unknown key in a nested object (pool.nodes, which 0.1 ignored)', (l) => ({ lads: l, pool: { nodes: 3 } }), /pool: .*"nodes"/],
    ['an unknown key deep in the recipe', (l) => ({ lads: l, recipe: { name: 'spenser-sim', options: { duration: 5 } } }), /recipe\.options: .*"duration"/],
    ['a malformed VM size', (l) => ({ lads: l, pool: { vmSize: 'D2s v3; reboot' } }), /pool\.vmSize: must be an Azure VM size/],
    ['Spot nodes under both names', (l) => ({ lads: l, pool: { spotNodes: 2, lowPriorityNodes: 1 } }), /pool\.spotNodes: give spotNodes or its old name lowPriorityNodes, not both/],
    ['neither lads nor a CSV', () => ({}), /lads: give exactly one of lads or ladsCsvBlob/],
    ['a VM size fallback list not starting with vmSize', (l) => ({ lads: l, pool: { vmSize: 'Standard_E4s_v3', vmSizes: ['Standard_D2s_v3'] } }), /pool\.vmSizes: must start with pool\.vmSize/],
    ['a budget with a VM size the rates file does not price', (l) => ({ lads: l, pool: { vmSizes: ['Standard_D2s_v3', 'Standard_Q9z_v9'] }, budget: 10 }), /budget: the rates file \(the shipped one\) has no rate for Standard_Q9z_v9 dedicated/],
    ['a rates file that does not exist', (l) => ({ lads: l, cost: { ratesFile: '/nonexistent/rates.json' } }), /cost\.ratesFile: cannot read \/nonexistent\/rates\.json/],
    [
      'a missing input file',
      (l) => ({ lads: l, recipe: { name: 'custom', command: 'echo {lad}', inputFiles: [{ source: { container: 'nowhere-x', blob: 'in.txt' }, filePath: 'in.txt' }] } }),
      /recipe\.inputFiles\[0\]\.source: blob nowhere-x\/in\.txt not found/,
    ],
    [
      'a missing replacement of a spenser scenario config',
      (l) => ({ lads: l, recipe: { name: 'spenser', options: { configs: { ssm_h_current: { container: 'nowhere-x', blob: 'ssm_h.json' } } } } }),
      /recipe\.options\.configs\.ssm_h_current: blob nowhere-x\/ssm_h\.json not found/,
    ],
    ['an unknown spenser scenario config', (l) => ({ lads: l, recipe: { name: 'spenser', options: { configs: { ssm_2040: { container: 'x-y', blob: 'a' } } } } }), /recipe\.options\.configs: .*"ssm_2040"/],
    ['a CSV with a bad LAD code', () => ({ ladsCsvBlob: { container: csvContainer, blob: 'bad.csv' } }), /line 3 LAD20CD "E0600000X" must match/],
    ['a CSV without a LAD column', () => ({ ladsCsvBlob: { container: csvContainer, blob: 'no-column.csv' } }), /needs a column "LAD20CD" or "LAD code"/],
    ['a CSV blob that does not exist', () => ({ ladsCsvBlob: { container: csvContainer, blob: 'absent.csv' } }), /absent\.csv: not found/],
  ];

  for (const [name, build, message] of cases) {
    it(`rejects ${name}`, async () => {
      const runId = uniqueId('bad');
      const raw = { ...testInput([]), lads: undefined, ...(build(ladCodes(3)) as object) };
      const started = Date.now();
      await assert.rejects(
        env.client.workflow.execute('spcRun', { taskQueue: env.taskQueue, workflowId: runId, args: [raw], workflowExecutionTimeout: '1 minute' }),
        (err: unknown) => {
          assert.ok(err instanceof WorkflowFailedError, String(err));
          assert.equal(err.cause?.name, 'ApplicationFailure');
          assert.match(String(err.cause?.message), message);
          return true;
        },
      );
      assert.ok(Date.now() - started < 15_000, 'failed at once, not after retries');
      assert.equal(await env.blobs.getContainerClient(containerOf(runId)).exists(), false, 'no container');
    });
  }

  it('created no pool and no job in Batch for any of them', async () => {
    assert.deepEqual((await env.batch.client.pool.list()).map((p) => p.id), []);
    assert.deepEqual((await env.batch.client.job.list()).map((j) => j.id), []);
  });

  it('ladRun started with bad input fails at once, naming each bad field (its check is zod-free)', async () => {
    const raw = { runId: 'bad-lad', lad: 'E0600000X', jobId: 'spc-bad-lad', container: 'spc-bad-lad', recipe: { name: 'spenser' }, retry: { maxAttempts: 0 }, timeouts: {}, expectedFiles: 'contract', pollIntervalMs: 500 };
    await assert.rejects(
      env.client.workflow.execute('ladRun', { taskQueue: env.taskQueue, workflowId: uniqueId('bad-lad'), args: [raw], workflowExecutionTimeout: '1 minute' }),
      (err: unknown) => {
        assert.ok(err instanceof WorkflowFailedError, String(err));
        assert.equal(err.cause?.name, 'ApplicationFailure');
        assert.match(String(err.cause?.message), /^invalid ladRun input: lad: "E0600000X" must match/);
        assert.match(String(err.cause?.message), /retry\.maxAttempts: must be >= 1/);
        return true;
      },
    );
  });

  it('is rejected by the client before anything starts, with the same schema', async () => {
    await assert.rejects(startSpcRun(env.client, { lads: ['E0600001; rm -rf /'] }, { taskQueue: env.taskQueue }), /input\.lads\.0: "E0600001; rm -rf \/" must match/);
  });
});
