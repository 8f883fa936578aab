import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** What the stack remembers about a process it started, so `down` stops exactly that process. */
export interface StartedProcess {
  pid: number;
  /** The executable, compared with /proc/<pid>/cmdline so a recycled pid is never killed. */
  file: string;
}

export interface ProcessPaths {
  pidFile: string;
  logFile: string;
}

export function processPaths(stackDir: string, name: string): ProcessPaths {
  return { pidFile: path.join(stackDir, 'run', `${name}.pid.json`), logFile: path.join(stackDir, 'logs', `${name}.log`) };
}

/** Starts `file args` in its own process group, detached from this process, logging to `logFile`. */
export function startDetached(paths: ProcessPaths, file: string, args: string[], env: NodeJS.ProcessEnv): StartedProcess {
  mkdirSync(path.dirname(paths.pidFile), { recursive: true });
  mkdirSync(path.dirname(paths.logFile), { recursive: true });
  const log = openSync(paths.logFile, 'a');
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', log, log], env });
    if (child.pid === undefined) throw new Error(`could not start ${file}`);
    child.unref();
    const started = { pid: child.pid, file };
    writeFileSync(paths.pidFile, JSON.stringify(started));
    return started;
  } finally {
    closeSync(log);
  }
}

/** The process recorded in `pidFile` if it is still alive and still runs the same executable. */
export function recordedProcess(pidFile: string): StartedProcess | undefined {
  if (!existsSync(pidFile)) return undefined;
  const recorded = JSON.parse(readFileSync(pidFile, 'utf8')) as StartedProcess;
  return isOurs(recorded) ? recorded : undefined;
}

function isOurs({ pid, file }: StartedProcess): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0').some((arg) => arg === file || path.basename(arg) === path.basename(file));
  } catch {
    return false;
  }
}

/** Stops the recorded process group: SIGTERM, then SIGKILL if it lingers. Returns whether something was stopped. */
export async function stopRecorded(pidFile: string, graceMs = 10_000): Promise<boolean> {
  const recorded = recordedProcess(pidFile);
  rmSync(pidFile, { force: true });
  if (!recorded) return false;
  signalGroup(recorded.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isOurs(recorded) && Date.now() < deadline) await delay(100);
  if (isOurs(recorded)) signalGroup(recorded.pid, 'SIGKILL');
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
