import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { killGroup, spawnDirect, type ProcessEvents, type ProcessHandle, type ProcessSpec } from './executor';
import type { LauncherEvent, LauncherRequest } from './launcher';

interface Pending {
  events: ProcessEvents;
  pid?: number;
  launcher: Launcher;
}

interface Launcher {
  child: ChildProcess;
  ids: Set<number>;
}

/**
 * Starts task processes through a few small launcher processes (see launcher.ts), round robin; falls back to
 * spawning in this process when the launcher script is not there (e.g. running from sources).
 */
export class ProcessPool {
  private readonly launchers: Launcher[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly script = path.join(__dirname, 'launcher.js');
  private nextId = 0;
  private turn = 0;
  private closed = false;

  constructor(private readonly size = Math.max(1, Math.min(4, availableParallelism()))) {}

  start(spec: ProcessSpec, events: ProcessEvents): ProcessHandle {
    const launcher = this.closed || !existsSync(this.script) ? undefined : this.pick();
    if (!launcher) return spawnDirect(spec, events);
    const id = ++this.nextId;
    const entry: Pending = { events, launcher };
    this.pending.set(id, entry);
    launcher.ids.add(id);
    this.send(launcher, { op: 'start', id, spec });
    return {
      kill: () => {
        if (!this.pending.has(id)) return;
        // Killing by pid here is immediate; the launcher also hears of it in case the pid has not arrived yet.
        if (entry.pid) killGroup(entry.pid);
        this.send(launcher, { op: 'kill', id });
      },
    };
  }

  private send(launcher: Launcher, request: LauncherRequest): void {
    if (launcher.child.connected) launcher.child.send(request);
  }

  private pick(): Launcher | undefined {
    while (this.launchers.length < this.size) {
      const launcher = this.spawnLauncher();
      if (!launcher) break;
      this.launchers.push(launcher);
    }
    if (this.launchers.length === 0) return undefined;
    return this.launchers[this.turn++ % this.launchers.length];
  }

  private spawnLauncher(): Launcher | undefined {
    let child: ChildProcess;
    try {
      child = fork(this.script, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { PATH: process.env.PATH ?? '' } });
    } catch {
      return undefined;
    }
    const launcher: Launcher = { child, ids: new Set() };
    child.on('message', (event: LauncherEvent) => {
      const entry = this.pending.get(event.id);
      if (!entry) return;
      if (event.op === 'started') {
        entry.pid = event.pid;
        entry.events.onStarted?.(event.pid, event.pidStart);
      } else {
        this.pending.delete(event.id);
        launcher.ids.delete(event.id);
        if (event.op === 'exit') entry.events.onExit(event.code, event.detail);
        else if (entry.events.onError) entry.events.onError(event.message);
        else entry.events.onExit(127, event.message);
      }
    });
    child.on('exit', () => {
      // A launcher that dies takes its tasks' exits with it: kill what is left and report them failed.
      const index = this.launchers.indexOf(launcher);
      if (index >= 0) this.launchers.splice(index, 1);
      for (const id of launcher.ids) {
        const entry = this.pending.get(id);
        this.pending.delete(id);
        if (!entry) continue;
        if (entry.pid) killGroup(entry.pid);
        if (!this.closed) entry.events.onExit(137, 'the process launcher exited');
      }
      launcher.ids.clear();
    });
    return launcher;
  }

  /** Closes the launchers; each kills the processes it still runs. */
  close(): void {
    this.closed = true;
    for (const entry of this.pending.values()) if (entry.pid) killGroup(entry.pid);
    for (const launcher of this.launchers) if (launcher.child.connected) launcher.child.disconnect();
  }
}
