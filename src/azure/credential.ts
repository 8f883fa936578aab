/**
 * The Entra ID credential of a worker or client that has no keys: DefaultAzureCredential, which reads what
 * @azure/identity documents (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET or a certificate, AZURE_AUTHORITY_HOST,
 * workload identity, managed identity, the Azure CLI) from the environment. Embedders pass any TokenCredential instead.
 */
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { Config } from '../schemas/config';

/** Storage's resource scope (the same in every public cloud's default endpoint suffix). */
export const STORAGE_SCOPE = 'https://storage.azure.com/.default';

/** One credential per process: its token cache is then shared by the Batch and Storage clients. */
let shared: { instanceDiscovery: string; credential: TokenCredential } | undefined;

/** The process's DefaultAzureCredential for this config (instance discovery on or off). */
export function defaultCredential(config: Pick<Config, 'SPC_ENTRA_INSTANCE_DISCOVERY'>): TokenCredential {
  if (shared?.instanceDiscovery !== config.SPC_ENTRA_INSTANCE_DISCOVERY) {
    const credential = new DefaultAzureCredential({ disableInstanceDiscovery: config.SPC_ENTRA_INSTANCE_DISCOVERY === 'off' });
    shared = { instanceDiscovery: config.SPC_ENTRA_INSTANCE_DISCOVERY, credential };
  }
  return shared.credential;
}
