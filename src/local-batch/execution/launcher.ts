import { spawnDirect, type ProcessHandle, type ProcessSpec } from './executor';

/**
 * A launcher process: spawns task processes for the service. Forking is proportional to the forking process's
 * memory, and the service grows with its tasks (measured: ~5 ms per spawn at 50 MB RSS, ~23 ms at 225 MB), so a
 * few small launchers spawn off the service's main thread. Messages over the IPC channel:
 *   in:  {op:'start', id, spec} | {op:'kill', id}
 *   out: {op:'started', id, pid, pidStart} | {op:'exit', id, code, detail} | {op:'error', id, message} (could not start)
 * When the service goes away (channel closed, e.g. kill -9) the launcher kills its tasks and exits: the tasks would
 * be requeued on restart anyway.
 */
export type LauncherRequest = { op: 'start'; id: number; spec: ProcessSpec } | { op: 'kill'; id: number };
export type LauncherEvent =
  | { op: 'started'; id: number; pid: number; pidStart?: string }
  | { op: 'exit'; id: number; code: number; detail?: string }
  | { op: 'error'; id: number; message: string };

function run(): void {
  const children = new Map<number, ProcessHandle>();
  const send = (event: LauncherEvent) => {
    if (process.connected) process.send!(event);
  };
  process.on('message', (message: LauncherRequest) => {
    if (message.op === 'start') {
      const { id } = message;
      try {
        const handle = spawnDirect(message.spec, {
          onStarted: (pid, pidStart) => send({ op: 'started', id, pid, pidStart }),
          onExit: (code, detail) => {
            children.delete(id);
            send({ op: 'exit', id, code, detail });
          },
        });
        children.set(id, handle);
      } catch (err) {
        // E.g. the log files cannot be opened (disk full, or the node's folder was just taken away by an eviction):
        // that one start fails; the launcher and the other tasks it runs live on.
        send({ op: 'error', id, message: (err as Error).message });
      }
    } else if (message.op === 'kill') {
      children.get(message.id)?.kill();
    }
  });
  process.on('disconnect', () => {
    for (const handle of children.values()) handle.kill();
    process.exit(0);
  });
  // The service shuts its launchers down through the channel; a signal to the service's process group must not
  // take them out first.
  process.on('SIGTERM', () => undefined);
  process.on('SIGINT', () => undefined);
}

if (require.main === module) run();
