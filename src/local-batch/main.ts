import * as path from 'node:path';
import { LOCAL_BATCH_ACCOUNT, LOCAL_STORAGE_ACCOUNT, loadStackSettings } from '../config';
import { readLocalEntra, tokenIssuerOf } from '../stack/entra';
import { ensureLocalSecrets } from '../stack/secrets';
import { FaultSettingsSchema } from './http/faults';
import { QuotasSchema } from './model/quotas';
import { startLocalBatchService } from './http/server';

/**
 * Entry point of the `batch` stack service. Reads SPC_BATCH_PORT and SPC_STACK_DIR (via the stack settings), the
 * generated account key from the stack folder, and optionally SPC_BATCH_HOST (default 127.0.0.1; 0.0.0.0 in a
 * container), SPC_BATCH_ALLOCATION_DELAY_MS, SPC_BATCH_FAULTS and SPC_BATCH_QUOTAS (JSON), and SPC_BATCH_TASK_USER (who
 * nonadmin tasks run as when the service is root; default nobody). A service run apart from the stack's own clients
 * (e.g. for a client written for Azure) can take another account name and key: SPC_BATCH_ACCOUNT and
 * SPC_BATCH_ACCOUNT_KEY (base64). The emulated storage account is the stack's Azurite (`spcdev`, key from the
 * secrets) at SPC_BATCH_BLOB_ENDPOINT (default http://127.0.0.1:<SPC_AZURITE_PORT>/spcdev) and SPC_BATCH_STORAGE_KEY.
 */
async function run(): Promise<void> {
  const settings = loadStackSettings();
  const secrets = ensureLocalSecrets(settings);
  const delay = process.env.SPC_BATCH_ALLOCATION_DELAY_MS;
  // Entra ID tokens of the stack's issuer are accepted alongside the shared key once the stack generated its key.
  const entra = readLocalEntra(settings);
  const faults = process.env.SPC_BATCH_FAULTS ? FaultSettingsSchema.parse(JSON.parse(process.env.SPC_BATCH_FAULTS)) : undefined;
  const quotas = process.env.SPC_BATCH_QUOTAS ? QuotasSchema.parse(JSON.parse(process.env.SPC_BATCH_QUOTAS)) : undefined;
  const accountName = process.env.SPC_BATCH_ACCOUNT || LOCAL_BATCH_ACCOUNT;
  const storage = {
    accountName: LOCAL_STORAGE_ACCOUNT,
    blobEndpoint: process.env.SPC_BATCH_BLOB_ENDPOINT || `http://127.0.0.1:${settings.SPC_AZURITE_PORT}/${LOCAL_STORAGE_ACCOUNT}`,
    accountKey: process.env.SPC_BATCH_STORAGE_KEY || secrets.storageKey,
  };
  const service = await startLocalBatchService({
    port: settings.SPC_BATCH_PORT,
    host: process.env.SPC_BATCH_HOST,
    accountName,
    accountKey: process.env.SPC_BATCH_ACCOUNT_KEY || secrets.batchKey,
    storage,
    dataDir: path.join(settings.SPC_STACK_DIR, 'batch'),
    allocationDelayMs: delay === undefined ? undefined : Number(delay),
    faults,
    tokenTrust: entra && { issuer: tokenIssuerOf(entra.tenantId), publicKeyPem: entra.signingPublicKeyPem },
    quotas,
    taskUser: process.env.SPC_BATCH_TASK_USER,
  });
  console.log(`local-batch: account ${accountName} listening at ${service.url}`);
  const stop = () => {
    void service.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
