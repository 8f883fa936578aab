import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import * as path from 'node:path';

/**
 * Runs command lines as local processes the way a Batch node does: no shell (the command line is split into
 * arguments like a POSIX shell would split words, without expansions), in the task's working directory, with only
 * the variables Batch sets plus PATH/LANG and the node's HOME/TMPDIR, so the service's own environment (keys) never leaks into tasks.
 * Each process leads its own process group, so killing the group kills the whole tree.
 */
export interface ProcessSpec {
  commandLine: string;
  cwd: string;
  env: Record<string, string>;
  stdoutPath: string;
  stderrPath: string;
  /** Run as this user and group (the service must be root); absent = the service's own user. */
  uid?: number;
  gid?: number;
}

export interface Started {
  pid: number;
  /** Start time from /proc, to recognise the same process after a service restart. */
  pidStart?: string;
}

/** Splits a command line into argv: whitespace separates, single and double quotes group, backslash escapes. */
export function splitCommandLine(commandLine: string): string[] {
  const args: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < commandLine.length; i++) {
    const c = commandLine[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else current += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < commandLine.length && '"\\$`'.includes(commandLine[i + 1])) current += commandLine[++i];
      else current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < commandLine.length) {
      current += commandLine[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) args.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (inWord) args.push(current);
  return args;
}

/**
 * PATH and LANG of the service, and the node's own HOME and TMPDIR (`<node>/home`, `<node>/tmp`): tasks on different
 * nodes never share dot-files, caches or temp files, and none of them writes into the service user's home.
 */
export function baseEnvironment(nodeRoot: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'LANG']) if (process.env[name]) env[name] = process.env[name]!;
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  env.HOME = path.join(nodeRoot, 'home');
  env.TMPDIR = path.join(nodeRoot, 'tmp');
  return env;
}

export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Kills a process group if it is still the one recorded (same start time), e.g. an orphan of a killed service. */
export function killRecordedGroup(pid: number | undefined, pidStart: string | undefined): void {
  if (!pid) return;
  if (pidStart !== undefined && processStartTime(pid) !== pidStart) return;
  killGroup(pid);
}

export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Exit code as a shell reports it: the code, or 128 + signal number when killed by a signal. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (constants.signals[signal] ?? 9) : 9);
}

export interface ProcessEvents {
  /** The process is running (pid and its /proc start time, for orphan clean-up after a restart). */
  onStarted?(pid: number, pidStart?: string): void;
  /** Called exactly once. A command that cannot start exits like a shell reports it: 127 (not found) / 126. */
  onExit(exitCode: number, detail?: string): void;
  /**
   * The process could not be started at all (its log files could not be opened), reported asynchronously by a
   * launcher; a direct spawn throws instead. Without it the start is reported as exit code 127.
   */
  onError?(message: string): void;
}

/** A started (or starting) process: kill() kills its whole process group, whenever it is called. */
export interface ProcessHandle {
  kill(): void;
}

/** Spawns the process in this Node process (the launcher's job; also the fallback when no launcher runs). */
export function spawnDirect(spec: ProcessSpec, events: ProcessEvents): ProcessHandle {
  const argv = splitCommandLine(spec.commandLine);
  let pid: number | undefined;
  let done = false;
  let killed = false;
  const finish = (exitCode: number, detail?: string) => {
    if (done) return;
    done = true;
    events.onExit(exitCode, detail);
  };
  const out = openSync(spec.stdoutPath, 'w');
  const err = openSync(spec.stderrPath, 'w');
  try {
    const child = spawn(argv[0] ?? '', argv.slice(1), { cwd: spec.cwd, env: spec.env, stdio: ['ignore', out, err], detached: true, uid: spec.uid, gid: spec.gid });
    child.once('error', (e: NodeJS.ErrnoException) => finish(e.code === 'EACCES' ? 126 : 127, e.message));
    child.once('exit', (code, signal) => finish(exitCodeOf(code, signal)));
    pid = child.pid;
    if (pid !== undefined) events.onStarted?.(pid, processStartTime(pid));
  } finally {
    closeSync(out);
    closeSync(err);
  }
  return {
    kill() {
      if (killed || done || pid === undefined) return;
      killed = true;
      killGroup(pid);
    },
  };
}
