/**
 * The `spenser` start task on a fake node, offline: five local git repositories stand in for the SPENSER packages
 * (file:// remotes, two commits each, so "the pinned commit, not the branch head" is observable), and this
 * machine's python3 stands in for the pinned CPython 3.9 through the script's SPENSER_PYTHON seam.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recipesDir, removeTempDirs, run, tempDir } from './helpers';

const startTask = path.join(recipesDir, 'start-task.sh');

/** The commits today's pipeline pins as git submodules (issue 12). */
const PINNED = [
  ['UKCensusAPI', 'https://github.com/alan-turing-institute/UKCensusAPI.git', 'fbe9a21c56db7ba3318886e80d630ddf2bc4d973'],
  ['ukpopulation', 'https://github.com/ld-archer/ukpopulation.git', '5e2ee671c5604c799a9d38c865099869b8f42c2b'],
  ['humanleague', 'https://github.com/virgesmith/humanleague.git', '5951879db64450300d43527de3d0b5e5809d82b7'],
  ['household_microsynth', 'https://github.com/alan-turing-institute/household_microsynth.git', 'f10cb0db80cf9db886644413c0a971892e9a9164'],
  ['microsimulation', 'https://github.com/alan-turing-institute/microsimulation.git', '2373691bd0ff764db129e52ec78d71c58538d9af'],
] as const;
const PACKAGES = PINNED.map(([name]) => name);

/** A stand-in package repository: its module says which commit it was installed from. */
interface StandIn {
  url: string;
  pinned: string;
  head: string;
  /** A commit on its own branch whose module fails to import, as ukpopulation does without pkg_resources. */
  unimportable: string;
}

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' };
const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();
/** The stand-in's module has the real package's import name, which the start task checks it can import. */
const moduleOf = (name: string): string => name.toLowerCase();

/**
 * A PEP 517 build backend in the stand-in's own tree: it needs neither setuptools nor wheel, so pip builds and
 * installs the stand-in offline, build isolation and all.
 */
function standInBackend(name: string, requiresDist: string[]): string {
  const module = moduleOf(name);
  return `import zipfile

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    filename = "${name}-0.1-py3-none-any.whl"
    info = "${name}-0.1.dist-info"
    files = {
        "${module}.py": open("${module}.py").read(),
        info + "/METADATA": "Metadata-Version: 2.1\\nName: ${name}\\nVersion: 0.1\\n${requiresDist.map((r) => `Requires-Dist: ${r}\\n`).join('')}",
        info + "/WHEEL": "Wheel-Version: 1.0\\nGenerator: stand-in\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    files[info + "/RECORD"] = "".join(path + ",,\\n" for path in [*files, info + "/RECORD"])
    with zipfile.ZipFile(wheel_directory + "/" + filename, "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)
    return filename
`;
}

/**
 * Two commits on `main`: the first (pinned) installs a module saying "pinned", the head one saying "head"; and a
 * third, on a side branch, whose module raises on import. The work tree is left at `main`'s head.
 */
function standInRepository(root: string, name: string, requiresDist: string[] = []): StandIn {
  const dir = path.join(root, name);
  mkdirSync(dir);
  git(dir, 'init', '--quiet', '--initial-branch=main');
  writeFileSync(path.join(dir, 'pyproject.toml'), '[build-system]\nrequires = []\nbuild-backend = "stand_in_backend"\nbackend-path = ["."]\n');
  writeFileSync(path.join(dir, 'stand_in_backend.py'), standInBackend(name, requiresDist));
  const commit = (state: string, source = `COMMIT = "${state}"\n`): string => {
    writeFileSync(path.join(dir, `${moduleOf(name)}.py`), source);
    git(dir, 'add', '.');
    git(dir, 'commit', '--quiet', '-m', state);
    return git(dir, 'rev-parse', 'HEAD');
  };
  const [pinned, head] = [commit('pinned'), commit('head')];
  git(dir, 'checkout', '--quiet', '-b', 'unimportable');
  const unimportable = commit('unimportable', 'raise ImportError("No module named \'pkg_resources\'")\n');
  git(dir, 'checkout', '--quiet', 'main');
  return { url: `file://${dir}`, pinned, head, unimportable };
}

/** A zip file made by Python's zipfile (the start task unpacks it with unzip, as a node would). */
function makeZip(file: string, entries: Record<string, string>): void {
  const code = 'import json, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:\n    [z.writestr(n, t) for n, t in json.loads(sys.argv[2]).items()]';
  execFileSync('python3', ['-c', code, file, JSON.stringify(entries)]);
}

/** The real interpreter behind `python3` (pyenv's shim needs its own environment). */
const systemPython = (): string => execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

/**
 * Stand-ins for the default interpreter path, which downloads: `python3 -m venv` makes a folder whose `pip` logs
 * its call and provides a `uv` that logs its calls and "finds" this machine's python3.
 */
function fakeInterpreterTools(realPython: string): { bin: string; log: string } {
  const bin = tempDir('fake-bin');
  const log = path.join(bin, 'calls.log');
  const script = (file: string, body: string): void => writeFileSync(path.join(bin, file), `#!/usr/bin/env bash\nset -euo pipefail\n${body}`, { mode: 0o755 });
  script('python3', `echo "python3 $*" >>"${log}"\nmkdir -p "$3/bin"\nln -sf "${bin}/fake-pip" "$3/bin/pip"\n`);
  script('fake-pip', `echo "pip $* : $(cat "\${@: -1}")" >>"${log}"\nln -sf "${bin}/fake-uv" "$(dirname "$0")/uv"\n`);
  script('fake-uv', `echo "uv $* in $UV_PYTHON_INSTALL_DIR" >>"${log}"\nif [[ "$2" == find ]]; then echo "${realPython}"; fi\n`);
  return { bin, log };
}

describe('recipes/spenser start-task.sh', { concurrency: true }, () => {
  let remotes: Record<string, StandIn>;
  let python: string;

  before(() => {
    const root = tempDir('stand-in-remotes');
    // ukpopulation requires UKCensusAPI by URL, at its head (the remote's work tree), as a git URL would: pip then
    // replaces the pinned UKCensusAPI, and the start task must put it back.
    const requires = (name: string): string[] => (name === 'ukpopulation' ? [`UKCensusAPI @ file://${path.join(root, 'UKCensusAPI')}`] : []);
    remotes = Object.fromEntries(PACKAGES.map((name) => [name, standInRepository(root, name, requires(name))]));
    python = systemPython();
  });
  after(removeTempDirs);

  /** The environment of a fake node: no apt, no PyPI, every source overridden to its stand-in's pinned commit. */
  function nodeEnv(shared: string, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
    const sources = Object.fromEntries(
      PACKAGES.flatMap((name) => [
        [`SPENSER_${name.toUpperCase()}_REPO`, remotes[name].url],
        [`SPENSER_${name.toUpperCase()}_REF`, remotes[name].pinned],
      ]),
    );
    return {
      PATH: process.env.PATH,
      HOME: tempDir('home'),
      AZ_BATCH_NODE_SHARED_DIR: shared,
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
      SPENSER_PYTHON: python,
      SPENSER_SYSTEM_PACKAGES: '',
      SPENSER_BUILD_REQUIREMENTS: '',
      SPENSER_PIP_OPTIONS: '--no-index --quiet',
      ...sources,
      ...overrides,
    };
  }

  /** What each stand-in module reports from inside the node's venv. */
  function installedStates(shared: string): Record<string, string> {
    const venvPython = path.join(shared, 'spenser/venv/bin/python');
    const code = `import json; print(json.dumps({${PACKAGES.map((n) => `"${n}": __import__("${moduleOf(n)}").COMMIT`).join(', ')}}))`;
    return JSON.parse(execFileSync(venvPython, ['-c', code], { encoding: 'utf8' })) as Record<string, string>;
  }

  const checkedOut = (shared: string, name: string): string => git(path.join(shared, 'spenser/src', name), 'rev-parse', 'HEAD');
  const markerOf = (shared: string): string => readFileSync(path.join(shared, 'spenser/installed-3'), 'utf8');

  it('pins the five commits of today\'s pipeline by default', async () => {
    const result = await run('bash', [startTask, '--print-sources'], { env: { PATH: process.env.PATH } });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), PINNED.map((row) => row.join(' ')));
  });

  it('installs the pinned commits, not the branch heads, records them in the marker, and then is a no-op', async () => {
    const shared = tempDir('node');
    // One override by branch name: the same mechanism takes a commit, a branch or a tag.
    const result = await run('bash', [startTask], { env: nodeEnv(shared, { SPENSER_MICROSIMULATION_REF: 'main' }) });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.deepEqual(installedStates(shared), { UKCensusAPI: 'pinned', ukpopulation: 'pinned', humanleague: 'pinned', household_microsynth: 'pinned', microsimulation: 'head' });
    const marker = markerOf(shared);
    assert.match(marker, /^recipe-version=3\npython=Python 3\.\d+\.\d+\npython-source=SPENSER_PYTHON /);
    assert.match(marker, /\nscotland-output-area-zip=none\n$/);
    for (const name of PACKAGES) {
      const expected = name === 'microsimulation' ? remotes[name].head : remotes[name].pinned;
      assert.equal(checkedOut(shared, name), expected, name);
      assert.ok(marker.includes(`\n${name}=${expected}\n${name}.repo=${remotes[name].url}\n`), `${name} in the marker:\n${marker}`);
    }
    assert.ok(existsSync(path.join(shared, 'spenser/src/microsimulation/data')), 'the pipelines get their data/ folders');
    assert.match(result.stdout, /re-installing the pinned checkouts a dependency replaced: \S+\/src\/UKCensusAPI\n/);

    const sentinel = path.join(shared, 'spenser/venv/kept-by-a-no-op');
    writeFileSync(sentinel, '');
    // A second run with a source that does not exist: it must not even look at it.
    const second = await run('bash', [startTask], { env: nodeEnv(shared, { SPENSER_UKCENSUSAPI_REPO: 'file:///nonexistent' }) });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /already installed: recipe-version=3 /);
    assert.doesNotMatch(second.stdout, /fetching|installing/);
    assert.equal(markerOf(shared), marker);
    assert.ok(existsSync(sentinel), 'the venv was not rebuilt');
  });

  it('fails half-way without a marker, and a retry installs cleanly, the Scottish tables included', async () => {
    const shared = tempDir('node-retry');
    // What an older install and an interrupted one left: a version-2 marker and half the Scottish tables.
    mkdirSync(path.join(shared, 'spenser/scotland'), { recursive: true });
    writeFileSync(path.join(shared, 'spenser/installed-2'), 'recipe-version=2\n');
    writeFileSync(path.join(shared, 'spenser/scotland/stale.csv'), 'half');
    const cwd = tempDir('start-task-wd');
    const zip = path.join(cwd, 'Output_Area_blk.zip');
    makeZip(zip, { 'QS101SC.csv': 'GEO,All people\nS00088956,120\n', 'KS201SC.csv': 'GEO,White\nS00088956,118\n' });
    const broken = await run('bash', [startTask], { cwd, env: nodeEnv(shared, { SPENSER_HOUSEHOLD_MICROSYNTH_REPO: `file://${tempDir('gone')}/household_microsynth` }) });
    assert.notEqual(broken.code, 0);
    assert.match(broken.stderr, /failed at line \d+: .*fetch/);
    assert.match(broken.stdout, /installing humanleague/, 'three packages were installed before the failure');
    assert.deepEqual(readdirSync(path.join(shared, 'spenser')).filter((f) => f.startsWith('installed-')), [], 'no marker, not even the old one');

    const retry = await run('bash', [startTask], { cwd, env: nodeEnv(shared) });
    assert.equal(retry.code, 0, retry.stderr);
    assert.deepEqual(Object.values(installedStates(shared)), PACKAGES.map(() => 'pinned'));
    assert.deepEqual(readdirSync(path.join(shared, 'spenser/src')).sort(), [...PACKAGES].sort());
    for (const name of PACKAGES) {
      assert.equal(checkedOut(shared, name), remotes[name].pinned, name);
      assert.equal(git(path.join(shared, 'spenser/src', name), 'status', '--porcelain', '--untracked-files=no'), '', `${name} checkout is clean`);
    }
    assert.deepEqual(readdirSync(path.join(shared, 'spenser')).filter((f) => f.startsWith('installed-')), ['installed-3']);
    assert.deepEqual(readdirSync(path.join(shared, 'spenser/scotland')).sort(), ['KS201SC.csv', 'QS101SC.csv'], 'the stale table is gone');
    assert.equal(readFileSync(path.join(shared, 'spenser/scotland/QS101SC.csv'), 'utf8'), 'GEO,All people\nS00088956,120\n');
    assert.match(markerOf(shared), new RegExp(`\nscotland-output-area-zip=${createHash('sha256').update(readFileSync(zip)).digest('hex')}\n$`));
  });

  it('fails, leaving no marker, when a package pip installed cannot be imported', async () => {
    const shared = tempDir('node-import');
    const result = await run('bash', [startTask], { env: nodeEnv(shared, { SPENSER_UKPOPULATION_REF: remotes.ukpopulation.unimportable }) });
    assert.notEqual(result.code, 0);
    assert.match(result.stdout, /checking the five packages import/);
    assert.match(result.stderr, /ImportError: No module named 'pkg_resources'[\s\S]*failed at line \d+: .*import ukcensusapi/);
    assert.deepEqual(readdirSync(path.join(shared, 'spenser')).filter((f) => f.startsWith('installed-')), []);
  });

  it('installs uv by its hash and CPython 3.9.25 under the shared folder when no SPENSER_PYTHON is given', async () => {
    const shared = tempDir('node-uv');
    const prefix = path.join(shared, 'spenser');
    const tools = fakeInterpreterTools(python);
    const env = nodeEnv(shared, { PATH: `${tools.bin}:${process.env.PATH}` });
    delete env.SPENSER_PYTHON;
    const result = await run('bash', [startTask], { env });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.deepEqual(readFileSync(tools.log, 'utf8').trim().split('\n'), [
      `python3 -m venv ${prefix}/tools`,
      `pip install --quiet --no-cache-dir --require-hashes --only-binary=:all: -r ${prefix}/tools/requirements.txt : uv==0.13.9 --hash=sha256:d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19`,
      `uv python install --no-bin --no-config 3.9.25 in ${prefix}/python`,
      `uv python find --managed-python --no-config 3.9.25 in ${prefix}/python`,
    ]);
    assert.match(readFileSync(path.join(prefix, 'venv/pyvenv.cfg'), 'utf8'), new RegExp(`^home = ${path.dirname(python)}$`, 'm'), 'the venv is made from what uv found');
    assert.match(markerOf(shared), /^python-source=uv 0\.13\.9$/m);
  });
});
