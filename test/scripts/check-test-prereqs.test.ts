import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const SCRIPT = path.resolve(__dirname, '../../../scripts/check-test-prereqs.sh');

/** Runs the prerequisite check with `env` as its whole environment. */
function check(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/bin/bash', [SCRIPT], { env }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

describe('scripts/check-test-prereqs.sh, run first by npm test', () => {
  it('passes silently where shellcheck, Chromium, OpenSSL and the azure-batch environment are installed (as .ci/run makes sure)', async () => {
    const result = await check(process.env);
    assert.deepEqual(result, { code: 0, stdout: '', stderr: '' });
  });

  it('names everything missing and the install command on one line, exit 1', async () => {
    // An empty PATH hides shellcheck; a Chromium path with nothing there hides Chromium.
    const empty = mkdtempSync(path.join(tmpdir(), 'spc-prereqs-'));
    const result = await check({ PATH: empty, SPC_CHROMIUM: path.join(empty, 'chromium') });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.split('\n').filter(Boolean).length, 1, result.stderr);
    assert.match(
      result.stderr,
      /^missing: shellcheck, chromium, openssl, python3, python3-venv, the azure-batch Python environment \(no executable at .*chromium; or set SPC_CHROMIUM\) — run: apt-get install shellcheck chromium openssl python3 python3-venv; bash scripts\/python-batch-venv.sh \(installs test\/local-batch\/python\/requirements.txt from PyPI\)\n$/,
    );
  });

  it('asks only for what is missing', async () => {
    const result = await check({ PATH: mkdtempSync(path.join(tmpdir(), 'spc-prereqs-')), SPC_CHROMIUM: process.env.SPC_CHROMIUM ?? '/usr/bin/chromium', SPC_PYTHON_BATCH: process.execPath });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'missing: shellcheck, openssl, python3, python3-venv — run: apt-get install shellcheck openssl python3 python3-venv\n');
  });

  it('names a missing azure-batch environment and the command that makes it, or the bad SPC_PYTHON_BATCH', async () => {
    const { SPC_PYTHON_BATCH: _given, ...env } = process.env;
    const absent = await check({ ...env, SPC_VENV_DIR: mkdtempSync(path.join(tmpdir(), 'spc-prereqs-venv-')) });
    assert.equal(absent.code, 1);
    assert.equal(absent.stderr, 'missing: the azure-batch Python environment — run: bash scripts/python-batch-venv.sh (installs test/local-batch/python/requirements.txt from PyPI)\n');
    const wrong = await check({ ...env, SPC_PYTHON_BATCH: '/nonexistent/bin/python' });
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stderr, 'missing: the azure-batch Python environment — run: point SPC_PYTHON_BATCH at its python (nothing at /nonexistent/bin/python), or unset it and run bash scripts/python-batch-venv.sh\n');
  });
});
