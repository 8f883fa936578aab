import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createBatchClient, createBlobServiceClient } from '../azure/clients';
import { loadConfig, loadTemporal, temporalConnectionOptions, type TemporalConnection } from '../config';
import type { Config } from '../schemas/config';
import { SEARCH_ATTRIBUTES } from '../stack/services';

/** The outcome of one check: one line for the user, with how to fix it when it failed. */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

type Check = (config: Readonly<Config>, connection?: Connection) => Promise<Omit<CheckResult, 'name'>>;

function reason(err: unknown): string {
  const e = err as { code?: string; statusCode?: number; message?: unknown };
  const message = typeof e.message === 'object' && e.message ? (e.message as { value?: string }).value : e.message;
  return [e.statusCode, e.code, String(message ?? err).split('\n')[0]].filter(Boolean).join(' ');
}

const checks: [string, Check][] = [
  [
    'temporal',
    async (config, connection) => {
      if (!connection) return { ok: false, detail: `cannot connect to ${config.SPC_TEMPORAL_ADDRESS}`, fix: 'start it (`npm run stack -- up`), or set TEMPORAL_ADDRESS or TEMPORAL_PROFILE (a temporal.toml profile)' };
      const info = await connection.workflowService.getSystemInfo({});
      await connection.workflowService.describeNamespace({ namespace: config.SPC_TEMPORAL_NAMESPACE });
      return { ok: true, detail: `${config.SPC_TEMPORAL_ADDRESS}, server ${info.serverVersion}, namespace ${config.SPC_TEMPORAL_NAMESPACE}` };
    },
  ],
  [
    'search attributes',
    async (config, connection) => {
      if (!connection) return { ok: false, detail: 'Temporal unreachable' };
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: config.SPC_TEMPORAL_NAMESPACE });
      const missing = Object.keys(SEARCH_ATTRIBUTES).filter((name) => !customAttributes?.[name]);
      if (missing.length === 0) return { ok: true, detail: Object.keys(SEARCH_ATTRIBUTES).join(', ') };
      return {
        ok: false,
        detail: `missing ${missing.join(', ')}`,
        fix: `temporal operator search-attribute create ${missing.map((n) => `--name ${n} --type ${n === 'SpcLadCount' ? 'Int' : 'Keyword'}`).join(' ')}`,
      };
    },
  ],
  [
    'worker',
    async (config, connection) => {
      if (!connection) return { ok: false, detail: 'Temporal unreachable' };
      const { pollers } = await connection.workflowService.describeTaskQueue({
        namespace: config.SPC_TEMPORAL_NAMESPACE,
        taskQueue: { name: config.SPC_TASK_QUEUE },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      if (pollers && pollers.length > 0) return { ok: true, detail: `${pollers.length} worker(s) polling ${config.SPC_TASK_QUEUE}` };
      return { ok: false, detail: `no worker polls task queue ${config.SPC_TASK_QUEUE}; runs would wait`, fix: 'start one: `npm run worker`' };
    },
  ],
  [
    'storage',
    async (config) => {
      const blobs = createBlobServiceClient(config);
      await blobs.listContainers().byPage({ maxPageSize: 1 }).next();
      return { ok: true, detail: `${blobs.url.replace(/\?.*$/, '')} (account ${blobs.accountName})` };
    },
  ],
  [
    'batch',
    async (config) => {
      const batch = createBatchClient(config);
      await batch.pool.list({ poolListOptions: { maxResults: 1 } });
      return { ok: true, detail: `${config.AZURE_BATCH_URL} (account ${config.AZURE_BATCH_ACCOUNT})` };
    },
  ],
];

const fixes: Record<string, (err: unknown) => string> = {
  storage: (err) =>
    /AuthorizationPermissionMismatch|CredentialUnavailable|EnvironmentCredential|401/.test(reason(err))
      ? 'Entra ID: give the worker\'s identity "Storage Blob Data Contributor" on the account (see AZURE_TENANT_ID, AZURE_CLIENT_ID)'
      : /403|AuthorizationFailure|AuthenticationFailed/.test(reason(err))
        ? 'check the key in AZURE_STORAGE_CONNECTION_STRING'
        : 'check AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL, or start Azurite with `npm run stack -- up`',
  // Batch answers a refused token with 401, a refused shared key with 403.
  batch: (err) =>
    /401|CredentialUnavailable|EnvironmentCredential/.test(reason(err))
      ? 'Entra ID: check AZURE_BATCH_SCOPE and that the worker\'s identity has "Azure Batch Data Contributor" on the account'
      : /403|AuthenticationFailed/.test(reason(err))
        ? 'AZURE_BATCH_KEY is not the key of AZURE_BATCH_ACCOUNT'
        : 'check AZURE_BATCH_URL, or start the local Batch service with `npm run stack -- up`',
};

/** Which temporal.toml profile applies and whether TLS is on, e.g. `profile "prod" of ~/.config/temporalio/temporal.toml, TLS on (client certificate), API key`. */
export function describeConnection(temporal: TemporalConnection): string {
  const source = temporal.profile ? `profile "${temporal.profile}" of ${temporal.configFile}` : `no temporal.toml profile (${temporal.configFile ?? 'no config file'}); environment and defaults`;
  const tls = temporal.tls ? `TLS on${temporal.clientCertificate ? ' (client certificate)' : ''}` : 'TLS off';
  return [source, tls, ...(temporal.apiKey ? ['API key'] : [])].join(', ');
}

/** Runs every check; never throws. A bad configuration is one failed check per bad variable. */
export async function runChecks(env: NodeJS.ProcessEnv = process.env): Promise<CheckResult[]> {
  let config: Readonly<Config>;
  try {
    config = loadConfig(env);
  } catch (err) {
    const lines = (err as Error).message.split('\n').slice(1).map((l) => l.trim());
    return lines.map((line) => ({ name: 'config', ok: false, detail: line }));
  }
  const results: CheckResult[] = [
    { name: 'config', ok: true, detail: 'environment valid' },
    { name: 'connection', ok: true, detail: describeConnection(loadTemporal(env)) },
  ];
  const connection = await Connection.connect({ ...temporalConnectionOptions(config, env), connectTimeout: 3000 }).catch(() => undefined);
  try {
    for (const [name, check] of checks) {
      try {
        results.push({ name, ...(await check(config, connection)) });
      } catch (err) {
        results.push({ name, ok: false, detail: reason(err), fix: fixes[name]?.(err) });
      }
    }
  } finally {
    await connection?.close();
  }
  return results;
}
