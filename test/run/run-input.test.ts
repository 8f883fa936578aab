import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRunInput, runIdFromWorkflowId, RunInputSchema } from '../../src/schemas/run-input';
import { bashCommand, recipeTask } from '../../src/recipes';

describe('run input schema', () => {
  it('fills defaults for everything but the LADs, and takes the run id from the workflow id', () => {
    const parsed = parseRunInput({ lads: ['E06000001'] }, 'spc-20261128-0200');
    assert.ok(parsed.ok);
    const input = parsed.input;
    assert.equal(input.runId, 'spc-20261128-0200');
    assert.deepEqual(input.recipe, { name: 'spenser-sim', options: { durationMs: 2000, scale: 0.05, failProbability: 0, failAttempts: {} } });
    assert.deepEqual(input.pool, { id: 'create', vmSize: 'standard_d2s_v3', vmSizes: ['standard_d2s_v3'], dedicatedNodes: 2, lowPriorityNodes: 0, taskSlotsPerNode: 1 });
    assert.deepEqual(input.retry, { maxAttempts: 3, backoffMs: 30_000, backoffCoefficient: 2 });
    assert.deepEqual(input.cleanup, { onSuccess: ['job', 'pool'], onFailure: ['job', 'pool'] });
    assert.equal(input.outputs.expectedFiles, 'contract');
    assert.equal(input.maxConcurrentLads, 1000);
  });

  it('is plain JSON: a parsed input parses again to itself (continue-as-new, CLI, `temporal workflow start`)', () => {
    const once = RunInputSchema.parse(JSON.parse(JSON.stringify({ lads: ['W06000001', 'S12000005'], cleanup: { onSuccess: 'nothing' } })));
    assert.deepEqual(RunInputSchema.parse(JSON.parse(JSON.stringify(once))), once);
    assert.deepEqual(once.cleanup.onSuccess, []);
  });

  it('names every bad field with its value', () => {
    const parsed = parseRunInput({ lads: ['E06000001', 'N1234567'], pool: { dedicatedNodes: -2 }, extra: 1 }, 'wf');
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.match(parsed.message, /lads\.1: "N1234567" must match/);
    assert.match(parsed.message, /pool\.dedicatedNodes: must be >= 0/);
    assert.match(parsed.message, /Unrecognized key: "extra"/);
  });

  it('refuses unknown keys at any depth, naming where; a run begun before 0.2 drops them as it did', () => {
    const raw = { lads: ['E06000001'], pool: { nodes: 3, dedicatedNodes: 1 }, retry: { maxAttempts: 2, jitter: true } };
    const refused = parseRunInput(raw, 'r');
    assert.ok(!refused.ok);
    assert.match(refused.message, /pool: .*"nodes"/);
    assert.match(refused.message, /retry: .*"jitter"/);
    const dropped = parseRunInput({ ...raw, recipe: { name: 'spenser-sim', options: { typo: 1 } } }, 'r', { dropUnknownKeys: true });
    assert.ok(dropped.ok, !dropped.ok ? dropped.message : '');
    assert.equal(dropped.input.pool.dedicatedNodes, 1);
    assert.equal(dropped.input.retry.maxAttempts, 2);
    assert.ok(!parseRunInput({ lads: ['E06000001'], pool: { dedicatedNodes: -1, nodes: 3 } }, 'r', { dropUnknownKeys: true }).ok, 'other errors still refuse');
  });

  it('takes spotNodes, or lowPriorityNodes as its old name, and VM sizes as Azure spells them', () => {
    const spot = parseRunInput({ lads: ['E06000001'], pool: { spotNodes: 3, dedicatedNodes: 0, vmSize: 'Standard_E64-16ds_v4' } }, 'r');
    assert.ok(spot.ok && spot.input.pool.lowPriorityNodes === 3 && spot.input.pool.vmSize === 'Standard_E64-16ds_v4');
    const old = parseRunInput({ lads: ['E06000001'], pool: { lowPriorityNodes: 2 } }, 'r');
    assert.ok(old.ok && old.input.pool.lowPriorityNodes === 2);
    for (const vmSize of ['D2s_v3', 'Standard D2s', 'standard_', 'Standard_D2s_v3;rm']) {
      const bad = parseRunInput({ lads: ['E06000001'], pool: { vmSize } }, 'r');
      assert.ok(!bad.ok && /pool\.vmSize: must be an Azure VM size/.test(bad.message), `${vmSize}: ${JSON.stringify(bad)}`);
    }
  });

  it('derives Batch- and storage-safe run ids from any workflow id', () => {
    assert.equal(runIdFromWorkflowId('my run/2026:11'), 'my-run-2026-11');
    assert.equal(runIdFromWorkflowId('x'.repeat(80)).length, 56);
    // Two scheduled runs of a long-named schedule differ only past the limit: their run ids must still differ.
    const long = 'nightly-regeneration-of-great-britain-mwzwknyb-f157cb-2026-11-28T04:21:';
    const a = runIdFromWorkflowId(`${long}05Z`);
    const b = runIdFromWorkflowId(`${long}41Z`);
    assert.notEqual(a, b);
    assert.ok(a.startsWith('nightly-regeneration-of-great-britain') && a.length <= 56);
    assert.equal(runIdFromWorkflowId(`${long}05Z`), a, 'deterministic');
  });
});

describe('recipe registry', () => {
  const recipe = RunInputSchema.parse({ lads: ['E06000001'], recipe: { name: 'spenser-sim', options: { failAttempts: { E06000001: 2 } } } }).recipe;

  it('wraps command lines in /bin/bash -c with only the validated LAD and numbers interpolated', () => {
    const task = recipeTask(recipe, 'E06000001', 3);
    assert.equal(
      task.commandLine,
      "/bin/bash -c 'node spenser-sim.js --lad E06000001 --out output --provenance provenance --attempt 3 --duration-ms 2000 --scale 0.05 --fail-probability 0 --fail-attempts 2'",
    );
    assert.equal(task.outputPattern, 'output/*.csv');
  });

  it('refuses a LAD that is not a LAD code, even past the schema', () => {
    assert.throws(() => recipeTask(recipe, "E06000001'; rm -rf / #", 1), /lad .* must match/);
  });

  it('quotes custom commands safely', () => {
    assert.equal(bashCommand("echo 'a' b"), `/bin/bash -c 'echo '\\''a'\\'' b'`);
    const custom = RunInputSchema.parse({ lads: ['E06000001'], recipe: { name: 'custom', command: 'run {lad} && echo {lad}' } }).recipe;
    assert.equal(recipeTask(custom, 'E06000001', 1).commandLine, "/bin/bash -c 'run E06000001 && echo E06000001'");
  });

  it('passes the NOMIS key of the production recipe as an environment setting, not a file', () => {
    const spenser = RunInputSchema.parse({ lads: ['E06000001'], recipe: { name: 'spenser' } }).recipe;
    const task = recipeTask(spenser, 'E06000001', 1);
    assert.deepEqual(task.secretEnvironment, ['NOMIS_API_KEY']);
    assert.deepEqual(task.inputFiles.map((f) => f.filePath).slice(0, 2), ['run-lad.sh', 'ssm_current.json']);
  });
});
