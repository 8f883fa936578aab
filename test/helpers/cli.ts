import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type { Config } from '../../src/schemas/config';

const CLI = path.resolve(__dirname, '../../src/cli/index.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `spc <args>` as a user would: a separate process, configured only through its environment. */
export function spc(config: Readonly<Config>, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    // A variable given as undefined in extraEnv is removed, to test other forms of configuration.
    const env = Object.fromEntries(Object.entries({ ...process.env, ...config, ...extraEnv }).filter(([, v]) => v !== undefined));
    execFile(process.execPath, [CLI, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Parses the JSON a `--json` command printed, failing with its output when it is not JSON. */
export function json<T>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}
