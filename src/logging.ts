import { DefaultLogger, Runtime } from '@temporalio/worker';

let installed = false;

/**
 * Keeps the Temporal SDK's own logs at WARN (bundling and worker-state chatter drowns progress output).
 * Must run before the first Worker or NativeConnection of the process; later calls do nothing.
 */
export function installQuietRuntime(level: 'WARN' | 'INFO' | 'DEBUG' = 'WARN'): void {
  if (installed) return;
  installed = true;
  Runtime.install({ logger: new DefaultLogger(level) });
}
