import { Client, Connection } from '@temporalio/client';
import type { Config } from './schemas/config';

/** Connects a Temporal client to the configured server and namespace. Close `client.connection` when done. */
export async function connectClient(config: Pick<Config, 'SPC_TEMPORAL_ADDRESS' | 'SPC_TEMPORAL_NAMESPACE'>): Promise<Client> {
  const connection = await Connection.connect({ address: config.SPC_TEMPORAL_ADDRESS });
  return new Client({ connection, namespace: config.SPC_TEMPORAL_NAMESPACE });
}
