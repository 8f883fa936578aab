import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { StackError } from './errors';

/**
 * v1.5.1 is the newest CLI tag whose go.mod has no `replace` directive, which `go install pkg@version` refuses;
 * it bundles Temporal server 1.29 and Web UI 2.42.
 */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
/** Oldest bundled server we accept from a CLI on PATH (CLI 1.3+: start-dev with --sqlite-pragma and the UI). */
const MIN_VERSION = [1, 27, 0];

/**
 * Version of the server a `temporal` CLI bundles, e.g. [1, 29, 1], or undefined if it does not run.
 * The server version is used because a CLI built with `go install` reports itself as 0.0.0-DEV.
 */
export function temporalVersion(file: string): number[] | undefined {
  try {
    const out = execFileSync(file, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const match = /Server (\d+)\.(\d+)\.(\d+)/.exec(out);
    return match ? match.slice(1).map(Number) : undefined;
  } catch {
    return undefined;
  }
}

function newEnough(version: number[]): boolean {
  for (let i = 0; i < MIN_VERSION.length; i++) {
    if (version[i] !== MIN_VERSION[i]) return version[i] > MIN_VERSION[i];
  }
  return true;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    if (dir && existsSync(file)) return file;
  }
  return undefined;
}

/**
 * Finds a usable Temporal CLI: `temporal` on PATH if new enough, else the one built into `toolsDir`,
 * else builds it there with `go install` (once; about 3 minutes on 2 cores).
 */
export async function findOrBuildTemporal(toolsDir: string, log: (line: string) => void): Promise<string> {
  const fromPath = onPath('temporal');
  const pathVersion = fromPath && temporalVersion(fromPath);
  if (fromPath && pathVersion && newEnough(pathVersion)) return fromPath;

  const built = path.join(toolsDir, 'temporal');
  if (existsSync(built) && temporalVersion(built)) return built;

  const go = onPath('go');
  if (!go) {
    throw new StackError(
      'the Temporal CLI is needed: install Go (https://go.dev/dl) so the stack can build it once, or put a `temporal` CLI >= 1.3 on PATH',
    );
  }
  mkdirSync(toolsDir, { recursive: true });
  const logFile = path.join(toolsDir, 'temporal-build.log');
  log(`building the Temporal CLI once with \`go install ${TEMPORAL_CLI_MODULE}\` (a few minutes; log: ${logFile})`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(logFile);
    const child = spawn(go, ['install', TEMPORAL_CLI_MODULE], {
      env: { ...process.env, GOBIN: toolsDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new StackError(`building the Temporal CLI failed (exit ${code}); see ${logFile}`)),
    );
  });
  log(`built ${built} in ${Math.round((Date.now() - started) / 1000)} s`);
  return built;
}
