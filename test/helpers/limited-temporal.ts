/**
 * A second Temporal dev server (in memory, headless) started with lowered limits through dynamic config, for tests
 * that prove a run far larger than the limits completes. The stack's server keeps Temporal's defaults.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { loadStackSettings } from '../../src/config';
import { SEARCH_ATTRIBUTES } from '../../src/stack/services';
import { findOrBuildTemporal } from '../../src/stack/temporal-binary';
import { freePort, waitFor } from './local-batch';

export interface LimitedTemporal {
  address: string;
  stop(): Promise<void>;
}

export async function startLimitedTemporal(dynamicConfig: Record<string, number | string>): Promise<LimitedTemporal> {
  const file = await findOrBuildTemporal(loadStackSettings().SPC_TOOLS_DIR, () => undefined);
  const port = await freePort();
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'];
  for (const [key, value] of Object.entries(dynamicConfig)) args.push('--dynamic-config-value', `${key}=${value}`);
  for (const name of Object.keys(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${name === 'SpcLadCount' ? 'Int' : 'Keyword'}`);
  const child: ChildProcess = spawn(file, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `127.0.0.1:${port}`;
  await untilServing(address, child);
  return {
    address,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resolves once the server answers a namespace lookup (the frontend is up and the namespace exists). */
function untilServing(address: string, child: ChildProcess): Promise<true> {
  return waitFor(`temporal dev server at ${address}`, async () => {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited with ${child.exitCode}`);
    const connection = await Connection.connect({ address, connectTimeout: 1000 }).catch(() => undefined);
    if (!connection) return undefined;
    try {
      return await connection.workflowService.describeNamespace({ namespace: 'default' }).then(() => true as const, () => undefined);
    } finally {
      await connection.close();
    }
  }, 60_000, 250);
}
