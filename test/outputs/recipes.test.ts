import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { recipeVersionOf } from '../../src/activities/lineage';
import { expectedLadFiles } from '../../src/outputs/contract';
import { recipeBlobInputs, recipeLocalInputs, recipeStartTask, recipeTask } from '../../src/recipes';
import { parseRunInput, type Recipe } from '../../src/schemas/run-input';
import { recipesDir, removeTempDirs, run, simScript, tempDir } from './helpers';

const runLad = path.join(recipesDir, 'run-lad.sh');
const startTask = path.join(recipesDir, 'start-task.sh');
const SECRET = 'nomis-canary-0x5ec2e7';
const CONFIGS = ['ssm_current', 'ssm_h_current', 'ass_current_2012', 'ass_current_2020', 'ass_current_2022', 'ass_current_2032', 'ass_current_2039'].map((n) => `${n}.json`);
/** A config file as the fake python logs it: the start of its sha256. */
const digestOf = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);

/**
 * A fake node after the start task: marker, a venv whose `python` logs each call (with NO_CACHE, the config it
 * was given and the links in its cache/) and makes run_microsynth.py write the 69 files with spenser-sim (so
 * run-lad.sh's gathering is exercised), the two pipeline repositories as the pinned microsimulation has them (no
 * *_current configs), and, when asked, the Scottish tables a start task unpacked.
 */
function fakeNode(scotland?: Record<string, string>): { shared: string; log: string } {
  const shared = tempDir('node-shared');
  const prefix = path.join(shared, 'spenser');
  const log = path.join(shared, 'python-calls.log');
  for (const dir of ['venv/bin', 'src/household_microsynth/scripts', 'src/household_microsynth/data', 'src/microsimulation/scripts', 'src/microsimulation/config', 'src/microsimulation/data']) {
    mkdirSync(path.join(prefix, dir), { recursive: true });
  }
  writeFileSync(path.join(prefix, 'src/microsimulation/config/ssm_default.json'), '{}');
  for (const [name, text] of Object.entries(scotland ?? {})) {
    mkdirSync(path.dirname(path.join(prefix, 'scotland', name)), { recursive: true });
    writeFileSync(path.join(prefix, 'scotland', name), text);
  }
  writeFileSync(path.join(prefix, 'installed-3'), 'recipe-version=3\npython=Python 3.9.25\n');
  const python = `#!/usr/bin/env bash
set -euo pipefail
config=""
if [[ "\${2-}" == "-c" ]]; then config=" config=$(sha256sum <"$3" | cut -c 1-16)"; fi
links=""
if [[ -d cache ]]; then links=" links=$(cd cache && find . -type l | LC_ALL=C sort | tr '\\n' ' ')"; fi
echo "$(basename "$PWD") $* key=\${NOMIS_API_KEY:+set} NO_CACHE=\${NO_CACHE-unset}$config$links" >>"$FAKE_LOG"
if [[ "$1" == "\${FAKE_FAIL_STEP:-none}" ]]; then echo "Traceback (most recent call last): boom" >&2; exit 1; fi
if [[ "$1" == scripts/run_microsynth.py ]]; then
  "$FAKE_NODE" "$FAKE_SIM" --lad "$2" --out data --duration-ms 0 >/dev/null
  if [[ -n "\${FAKE_DELETE:-}" ]]; then rm "data/$FAKE_DELETE"; fi
fi
`;
  writeFileSync(path.join(prefix, 'venv/bin/python'), python);
  chmodSync(path.join(prefix, 'venv/bin/python'), 0o755);
  return { shared, log };
}

/** A task's working directory as Batch leaves it: the recipe's shipped configs among its input files. */
function taskDir(label: string): string {
  const cwd = tempDir(label);
  for (const name of CONFIGS) copyFileSync(path.join(recipesDir, 'config', name), path.join(cwd, name));
  return cwd;
}

const env = (shared: string, log: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  AZ_BATCH_NODE_SHARED_DIR: shared,
  NOMIS_API_KEY: SECRET,
  FAKE_LOG: log,
  FAKE_NODE: process.execPath,
  FAKE_SIM: simScript,
  ...extra,
});

describe('recipes/spenser', () => {
  after(removeTempDirs);

  it('passes shellcheck with no findings (shellcheck must be installed)', async () => {
    for (const script of [startTask, runLad]) {
      const result = await run('shellcheck', [script]).catch((err: NodeJS.ErrnoException) => {
        throw new Error(`shellcheck could not run (${err.code}): install it with apt-get install shellcheck`);
      });
      assert.equal(result.code, 0, `${path.basename(script)}:\n${result.stdout}${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.ok((statSync(script).mode & 0o111) !== 0, `${path.basename(script)} is executable`);
      assert.match(readFileSync(script, 'utf8'), /^#!\/usr\/bin\/env bash\n(#.*\n)*set -euo pipefail$/m);
    }
  });

  it('run-lad.sh rejects a bad LAD code before doing anything', async () => {
    const { shared, log } = fakeNode();
    const canary = path.join(tempDir('canary'), 'pwned');
    const bad = ['E0600001; rm -rf /', `E06000001; touch ${canary}`, `$(touch ${canary})`, 'e06000001', 'E060000011', 'E06000001\n', ''];
    for (const lad of bad) {
      const cwd = tempDir('task-bad');
      const result = await run('bash', [runLad, lad], { cwd, env: env(shared, log) });
      assert.equal(result.code, 2, JSON.stringify(lad));
      assert.match(result.stderr, /must match \^\[EWSN\]\[0-9\]\{8\}\$/);
      assert.deepEqual(readdirSync(cwd), [], 'nothing written in the task directory');
    }
    const twoArgs = await run('bash', [runLad, 'E06000001', 'E06000002'], { cwd: tempDir('task-bad'), env: env(shared, log) });
    assert.equal(twoArgs.code, 2);
    assert.equal(existsSync(canary), false);
    assert.equal(existsSync(log), false, 'no pipeline step ran');
  });

  it('run-lad.sh needs NOMIS_API_KEY from the environment and the start task done', async () => {
    const { shared, log } = fakeNode();
    const cwd = tempDir('task-nokey');
    const noKey = await run('bash', [runLad, 'E06000001'], { cwd, env: env(shared, log, { NOMIS_API_KEY: '' }) });
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /NOMIS_API_KEY is not set/);
    const notInstalled = await run('bash', [runLad, 'E06000001'], { cwd, env: env(tempDir('empty-node'), log) });
    assert.equal(notInstalled.code, 1);
    assert.match(notInstalled.stderr, /start task has not installed SPENSER/);
    assert.deepEqual(readdirSync(cwd), []);
  });

  it('run-lad.sh runs the 8 steps in order, with the task\'s configs and NO_CACHE as today, and leaves the 69 files in ./output', async () => {
    const { shared, log } = fakeNode();
    const cwd = taskDir('task');
    const result = await run('bash', [runLad, 'E06000001'], { cwd, env: env(shared, log, { NO_CACHE: 'inherited' }) });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readdirSync(path.join(cwd, 'output')).sort(), expectedLadFiles('E06000001').sort());
    assert.deepEqual(readdirSync(cwd).sort(), [...CONFIGS, 'output', 'provenance'].sort(), 'the work copy is removed');
    // The node's install marker goes with the outputs, for the manifest's provenance.
    assert.equal(readFileSync(path.join(cwd, 'provenance/spenser-install.txt'), 'utf8'), readFileSync(path.join(shared, 'spenser/installed-3'), 'utf8'));
    const config = (name: string): string => digestOf(path.join(recipesDir, 'config', `${name}.json`));
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
      'household_microsynth scripts/run_microsynth.py E06000001 OA11 key=set NO_CACHE=false',
      `microsimulation scripts/run_ssm.py -c config/ssm_current.json E06000001 key=set NO_CACHE=true config=${config('ssm_current')}`,
      `microsimulation scripts/run_ssm_h.py -c config/ssm_h_current.json E06000001 key=set NO_CACHE=true config=${config('ssm_h_current')}`,
      ...[2012, 2020, 2022, 2032, 2039].map((y) => `microsimulation scripts/run_assignment.py -c config/ass_current_${y}.json E06000001 key=set NO_CACHE=true config=${config(`ass_current_${y}`)}`),
    ]);
    assert.ok(!`${result.stdout}${result.stderr}`.includes(SECRET), 'the NOMIS key is never printed');
  });

  it('run-lad.sh refuses to start without every scenario config among its inputs', async () => {
    const { shared, log } = fakeNode();
    for (const absent of ['ssm_h_current.json', 'ass_current_2032.json']) {
      const cwd = taskDir('task-noconfig');
      rmSync(path.join(cwd, absent));
      const result = await run('bash', [runLad, 'S12000033'], { cwd, env: env(shared, log) });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`missing config ${absent.replace('.', '\\.')}: the task's inputs must include it`));
      assert.deepEqual(readdirSync(cwd).sort(), CONFIGS.filter((c) => c !== absent).sort(), 'nothing created');
    }
    assert.equal(existsSync(log), false, 'no pipeline step ran');
  });

  it('run-lad.sh links the Scottish tables the start task unpacked into household_microsynth\'s cache', async () => {
    const { shared, log } = fakeNode({ 'QS101SC.csv': 'a', 'nested/KS201SC.csv': 'b' });
    const cwd = taskDir('task-scotland');
    const result = await run('bash', [runLad, 'S12000033'], { cwd, env: env(shared, log) });
    assert.equal(result.code, 0, result.stderr);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(calls[0], 'household_microsynth scripts/run_microsynth.py S12000033 OA11 key=set NO_CACHE=false links=./QS101SC.csv ./nested/KS201SC.csv ');
    assert.ok(calls.slice(1).every((line) => !line.includes('links=')), 'only the microsynthesis gets them, as today');
    assert.equal(readFileSync(path.join(shared, 'spenser/scotland/QS101SC.csv'), 'utf8'), 'a', 'the shared copy is untouched');
  });

  it('run-lad.sh fails when a step fails or an output is missing', async () => {
    const { shared, log } = fakeNode();
    const cwd = taskDir('task-fail');
    const failed = await run('bash', [runLad, 'W06000002'], { cwd, env: env(shared, log, { FAKE_FAIL_STEP: 'scripts/run_ssm_h.py' }) });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /Traceback[\s\S]*failed at line \d+/);
    assert.deepEqual(readdirSync(path.join(cwd, 'output')), []);
    const missing = await run('bash', [runLad, 'W06000002'], { cwd, env: env(shared, log, { FAKE_DELETE: 'ssm_hh_W06000002_OA11_2030.csv' }) });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /missing or empty output: ssm_hh_W06000002_OA11_2030\.csv/);
    assert.match(missing.stderr, /1 of 69 outputs missing/);
  });

  it('start-task.sh refuses to run outside Batch and keeps a finished install', async () => {
    const outside = await run('bash', [startTask], { env: { PATH: process.env.PATH } });
    assert.notEqual(outside.code, 0);
    assert.match(outside.stderr, /AZ_BATCH_NODE_SHARED_DIR/);
    const { shared } = fakeNode();
    const again = await run('bash', [startTask], { env: { PATH: process.env.PATH, AZ_BATCH_NODE_SHARED_DIR: shared } });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already installed: recipe-version=3/);
  });
});

describe('recipes/spenser inputs: the shipped scenario configs, replaceable by the run input', () => {
  const recipeOf = (recipe: unknown): Recipe => {
    const parsed = parseRunInput({ lads: ['S12000033'], recipe }, 'wf');
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.input.recipe;
  };
  const ref = (blob: string) => ({ container: 'scenarios', blob });

  it('ships the values of today\'s ssm_current, ssm_h_current and the five ass_current_<year> configs', () => {
    const read = (name: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(recipesDir, 'config', name), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(readdirSync(path.join(recipesDir, 'config')).sort(), [...CONFIGS].sort());
    assert.deepEqual(read('ssm_current.json'), { resolution: 'MSOA11', projection: 'ppp', census_ref_year: 2011, horizon_year: 2039, mode: 'fast', cache_dir: './cache', output_dir: './data' });
    assert.deepEqual(read('ssm_h_current.json'), {
      '//': 'See README.md for details', resolution: 'OA11', projection: 'ppp', census_ref_year: 2011, horizon_year: 2039,
      cache_dir: './cache', upstream_dir: '../household_microsynth/data', input_dir: './persistent_data', output_dir: './data',
    });
    for (const year of [2012, 2020, 2022, 2032, 2039]) {
      assert.deepEqual(read(`ass_current_${year}.json`), { person_resolution: 'MSOA11', household_resolution: 'OA11', projection: 'ppp', strict: true, year, data_dir: './data', profile: false });
    }
  });

  it('by default uploads the shipped configs once and hands all seven to every task', () => {
    const recipe = recipeOf({ name: 'spenser' });
    assert.deepEqual(recipe, { name: 'spenser' }, 'no defaults added: the input hash of earlier runs is unchanged');
    assert.deepEqual(recipeLocalInputs(recipe).map((f) => [f.blobName, path.relative(recipesDir, f.localPath)]), [
      ['start-task.sh', 'start-task.sh'],
      ['run-lad.sh', 'run-lad.sh'],
      ...CONFIGS.map((c) => [c, `config/${c}`]),
    ]);
    assert.deepEqual(recipeTask(recipe, 'S12000033', 1).inputFiles, [
      { source: { kind: 'run-input', blobName: 'run-lad.sh' }, filePath: 'run-lad.sh' },
      ...CONFIGS.map((c) => ({ source: { kind: 'run-input', blobName: c }, filePath: c })),
    ]);
    assert.deepEqual(recipeBlobInputs(recipe), []);
    assert.deepEqual(recipeStartTask(recipe)?.inputFiles, [{ source: { kind: 'run-input', blobName: 'start-task.sh' }, filePath: 'start-task.sh' }]);
  });

  it('a replaced config comes from the run\'s blob (checked before the run), and the recipe version tells the two apart', () => {
    const recipe = recipeOf({ name: 'spenser', options: { configs: { ssm_current: ref('ssm-2025.json') } } });
    assert.ok(!recipeLocalInputs(recipe).some((f) => f.blobName === 'ssm_current.json'), 'the default is not uploaded');
    const inputs = recipeTask(recipe, 'S12000033', 1).inputFiles;
    assert.deepEqual(inputs.find((f) => f.filePath === 'ssm_current.json')?.source, { kind: 'blob', container: 'scenarios', blob: 'ssm-2025.json' });
    assert.equal(inputs.filter((f) => f.source.kind === 'run-input').length, 7, 'run-lad.sh and the six other defaults');
    assert.deepEqual(recipeBlobInputs(recipe), [{ field: 'recipe.options.configs.ssm_current', container: 'scenarios', blob: 'ssm-2025.json' }]);
    assert.notEqual(recipeVersionOf(recipe), recipeVersionOf(recipeOf({ name: 'spenser' })));
    assert.match(recipeVersionOf(recipeOf({ name: 'spenser' })), /^spenser@[0-9a-f]{12}$/);
  });

  it('a Scottish Output Area zip goes to the start task of every node, under the name the start task unpacks', () => {
    const recipe = recipeOf({ name: 'spenser', options: { scotlandOutputAreaZip: ref('nrs/Output Area blk.zip') } });
    assert.deepEqual(recipeStartTask(recipe)?.inputFiles, [
      { source: { kind: 'run-input', blobName: 'start-task.sh' }, filePath: 'start-task.sh' },
      { source: { kind: 'blob', container: 'scenarios', blob: 'nrs/Output Area blk.zip' }, filePath: 'Output_Area_blk.zip' },
    ]);
    assert.deepEqual(recipeBlobInputs(recipe), [{ field: 'recipe.options.scotlandOutputAreaZip', container: 'scenarios', blob: 'nrs/Output Area blk.zip' }]);
    assert.match(readFileSync(startTask, 'utf8'), /^readonly SCOTLAND_ZIP=Output_Area_blk\.zip$/m);
  });

  it('refuses an unknown config or option, naming where', () => {
    const bad = (recipe: unknown): string => {
      const parsed = parseRunInput({ lads: ['S12000033'], recipe }, 'wf');
      assert.equal(parsed.ok, false);
      return parsed.ok ? '' : parsed.message;
    };
    assert.match(bad({ name: 'spenser', options: { configs: { ssm_curent: ref('x.json') } } }), /recipe\.options\.configs.*"ssm_curent"/);
    assert.match(bad({ name: 'spenser', options: { configs: { ssm_current: { container: 'scenarios' } } } }), /recipe\.options\.configs\.ssm_current\.blob/);
    assert.match(bad({ name: 'spenser', options: { scotlandZip: ref('x.zip') } }), /recipe\.options.*"scotlandZip"/);
  });
});
