import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { expectedLadFiles } from '../../src/outputs/contract';
import { recipesDir, removeTempDirs, run, simScript, tempDir } from './helpers';

const runLad = path.join(recipesDir, 'run-lad.sh');
const startTask = path.join(recipesDir, 'start-task.sh');
const SECRET = 'nomis-canary-0x5ec2e7';

/**
 * A fake node after the start task: marker, a venv whose `python` logs each call and makes run_microsynth.py write
 * the 69 files with spenser-sim (so run-lad.sh's gathering is exercised), and the two pipeline repositories.
 */
function fakeNode(): { shared: string; log: string } {
  const shared = tempDir('node-shared');
  const prefix = path.join(shared, 'spenser');
  const log = path.join(shared, 'python-calls.log');
  for (const dir of ['venv/bin', 'src/household_microsynth/scripts', 'src/household_microsynth/data', 'src/microsimulation/scripts', 'src/microsimulation/config', 'src/microsimulation/data']) {
    mkdirSync(path.join(prefix, dir), { recursive: true });
  }
  writeFileSync(path.join(prefix, 'installed-2'), 'recipe-version=2\npython=Python 3.9.25\n');
  const python = `#!/usr/bin/env bash
set -euo pipefail
config=""
if [[ "\${2-}" == "-c" ]]; then config=" config=$(cat "$3")"; fi
echo "$(basename "$PWD") $* key=\${NOMIS_API_KEY:+set}$config" >>"$FAKE_LOG"
if [[ "$1" == "\${FAKE_FAIL_STEP:-none}" ]]; then echo "Traceback (most recent call last): boom" >&2; exit 1; fi
if [[ "$1" == scripts/run_microsynth.py ]]; then
  "$FAKE_NODE" "$FAKE_SIM" --lad "$2" --out data --duration-ms 0 >/dev/null
  if [[ -n "\${FAKE_DELETE:-}" ]]; then rm "data/$FAKE_DELETE"; fi
fi
`;
  writeFileSync(path.join(prefix, 'venv/bin/python'), python);
  chmodSync(path.join(prefix, 'venv/bin/python'), 0o755);
  for (const name of ['ssm_current', 'ssm_h_current', 'ass_current_2012', 'ass_current_2020', 'ass_current_2022', 'ass_current_2032', 'ass_current_2039']) {
    writeFileSync(path.join(prefix, 'src/microsimulation/config', `${name}.json`), `repo-${name}`);
  }
  return { shared, log };
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

  it('run-lad.sh runs the 8 steps in order and leaves the 69 files in ./output', async () => {
    const { shared, log } = fakeNode();
    const cwd = tempDir('task');
    writeFileSync(path.join(cwd, 'ass_current_2039.json'), 'task-input');
    const result = await run('bash', [runLad, 'E06000001'], { cwd, env: env(shared, log) });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readdirSync(path.join(cwd, 'output')).sort(), expectedLadFiles('E06000001').sort());
    assert.deepEqual(readdirSync(cwd).sort(), ['ass_current_2039.json', 'output'], 'the work copy is removed');
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
      'household_microsynth scripts/run_microsynth.py E06000001 OA11 key=set',
      'microsimulation scripts/run_ssm.py -c config/ssm_current.json E06000001 key=set config=repo-ssm_current',
      'microsimulation scripts/run_ssm_h.py -c config/ssm_h_current.json E06000001 key=set config=repo-ssm_h_current',
      ...[2012, 2020, 2022, 2032].map((y) => `microsimulation scripts/run_assignment.py -c config/ass_current_${y}.json E06000001 key=set config=repo-ass_current_${y}`),
      'microsimulation scripts/run_assignment.py -c config/ass_current_2039.json E06000001 key=set config=task-input',
    ]);
    assert.ok(!`${result.stdout}${result.stderr}`.includes(SECRET), 'the NOMIS key is never printed');
  });

  it('run-lad.sh fails when a step fails or an output is missing', async () => {
    const { shared, log } = fakeNode();
    const cwd = tempDir('task-fail');
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
    assert.match(again.stdout, /already installed: recipe-version=2/);
  });
});
