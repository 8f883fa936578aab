import { BatchServiceClient, BatchSharedKeyCredentials } from '@azure/batch';
import { BlobServiceClient } from '@azure/storage-blob';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { LOCAL_BATCH_ACCOUNT, LOCAL_STORAGE_ACCOUNT, localStorageConnectionString, type LocalSecrets } from '../config';
import type { StackSettings } from '../schemas/config';
import type { LocalEntra } from './entra';
import { httpsStatus, portAnswers } from './probes';
import { findOrBuildTemporal } from './temporal-binary';

/** Everything a service definition may need to start and probe itself. */
export interface StackContext {
  settings: StackSettings;
  secrets: LocalSecrets;
  /** The Entra stand-in's material, when generated (always tried; required with SPC_STACK_ENTRA=1). */
  entra?: LocalEntra;
  log: (line: string) => void;
}

/**
 * One service of the local stack. Adding a service is one more entry in `stackServices`:
 * how to start it, which port it owns, and a real request that proves it answers.
 */
export interface StackService {
  name: string;
  /** The ports it listens on, each with the env variable that moves it (named in "port taken" errors). */
  ports(settings: StackSettings): { port: number; variable: keyof StackSettings }[];
  /** What `status` prints as its address. */
  describe(settings: StackSettings): string;
  command(ctx: StackContext): Promise<{ file: string; args: string[]; env?: NodeJS.ProcessEnv }>;
  /** A real request: true once the service serves. */
  ready(ctx: StackContext): Promise<boolean>;
  /** Idempotent set-up once it answers (e.g. search attributes). */
  afterStart?(ctx: StackContext): Promise<void>;
}

/** Search attributes the workflows upsert, so the Web UI and `spc runs` can filter runs and LADs. */
export const SEARCH_ATTRIBUTES = {
  SpcRunId: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  SpcLad: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  SpcStatus: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  SpcLadCount: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
} as const;

async function withTemporal<T>(settings: StackSettings, fn: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: `127.0.0.1:${settings.SPC_TEMPORAL_PORT}`, connectTimeout: 2000 });
  try {
    return await fn(connection);
  } finally {
    await connection.close();
  }
}

const temporalServer: StackService = {
  name: 'temporal',
  ports: (s) => [
    { port: s.SPC_TEMPORAL_PORT, variable: 'SPC_TEMPORAL_PORT' },
    { port: s.SPC_TEMPORAL_UI_PORT, variable: 'SPC_TEMPORAL_UI_PORT' },
  ],
  describe: (s) => `127.0.0.1:${s.SPC_TEMPORAL_PORT} (Web UI http://127.0.0.1:${s.SPC_TEMPORAL_UI_PORT})`,
  async command({ settings, log }) {
    const file = await findOrBuildTemporal(settings.SPC_TOOLS_DIR, log);
    const dataDir = path.join(settings.SPC_STACK_DIR, 'temporal');
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(settings.SPC_TEMPORAL_PORT)];
    args.push('--ui-port', String(settings.SPC_TEMPORAL_UI_PORT), '--db-filename', path.join(dataDir, 'temporal.db'));
    // WAL with synchronous=normal survives a crash of the server process and is several times faster than
    // the default full fsync per commit (design.md section 4).
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal', '--log-level', 'warn');
    mkdirSync(dataDir, { recursive: true });
    return { file, args };
  },
  ready: ({ settings }) =>
    withTemporal(settings, async (c) => {
      await c.workflowService.describeNamespace({ namespace: 'default' });
      return true;
    }),
  afterStart: ({ settings, log }) =>
    withTemporal(settings, async (c) => {
      const { customAttributes } = await c.operatorService.listSearchAttributes({ namespace: 'default' });
      const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !(customAttributes && name in customAttributes));
      if (missing.length === 0) return;
      await c.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes: Object.fromEntries(missing) });
      log(`registered search attributes ${missing.map(([name]) => name).join(', ')}`);
    }),
};

const azurite: StackService = {
  name: 'azurite',
  ports: (s) => [{ port: s.SPC_AZURITE_PORT, variable: 'SPC_AZURITE_PORT' }],
  describe: (s) => `http://127.0.0.1:${s.SPC_AZURITE_PORT}/${LOCAL_STORAGE_ACCOUNT} (blob)`,
  async command({ settings, secrets }) {
    const main = require.resolve('azurite/dist/src/blob/main.js');
    // The preload makes Azurite's blob lookups use its name index (else each request scans every blob).
    const args = ['--require', path.resolve(__dirname, 'azurite-preload.js'), main, '--blobHost', '127.0.0.1', '--blobPort', String(settings.SPC_AZURITE_PORT)];
    // Azurite from npm rejects the newest @azure/storage-blob API version without this flag.
    args.push('--location', path.join(settings.SPC_STACK_DIR, 'azurite'), '--skipApiVersionCheck');
    return { file: process.execPath, args, env: { AZURITE_ACCOUNTS: `${LOCAL_STORAGE_ACCOUNT}:${secrets.storageKey}` } };
  },
  async ready({ settings, secrets }) {
    const client = BlobServiceClient.fromConnectionString(localStorageConnectionString(settings, secrets.storageKey));
    await client.getProperties({ abortSignal: AbortSignal.timeout(2000) });
    return true;
  },
};

const localBatch: StackService = {
  name: 'batch',
  ports: (s) => [{ port: s.SPC_BATCH_PORT, variable: 'SPC_BATCH_PORT' }],
  describe: (s) => `http://127.0.0.1:${s.SPC_BATCH_PORT} (account ${LOCAL_BATCH_ACCOUNT})`,
  async command({ entra }) {
    // dist/src/stack -> dist/src/local-batch/main.js (the stack runs from the compiled tree). The stack's certificate
    // is trusted so that tasks can fetch inputs from, and upload outputs to, the OAuth Azurite over https.
    const env = entra && { NODE_EXTRA_CA_CERTS: entra.tlsCertFile };
    return { file: process.execPath, args: [path.resolve(__dirname, '../local-batch/main.js')], env };
  },
  async ready({ settings, secrets }) {
    // The SDK backs off for seconds on a refused connection, so check the port first.
    if (!(await portAnswers(settings.SPC_BATCH_PORT))) return false;
    const credentials = new BatchSharedKeyCredentials(LOCAL_BATCH_ACCOUNT, secrets.batchKey);
    const client = new BatchServiceClient(credentials, `http://127.0.0.1:${settings.SPC_BATCH_PORT}`);
    // A real signed request through the SDK: proves the port, the auth and the routing.
    await client.pool.list({ poolListOptions: { maxResults: 1 }, timeout: 2000 });
    return true;
  },
};

const tokenIssuer: StackService = {
  name: 'issuer',
  ports: (s) => [{ port: s.SPC_ENTRA_ISSUER_PORT, variable: 'SPC_ENTRA_ISSUER_PORT' }],
  describe: (s) => `https://127.0.0.1:${s.SPC_ENTRA_ISSUER_PORT} (Entra ID stand-in)`,
  async command() {
    return { file: process.execPath, args: [path.resolve(__dirname, 'token-issuer-main.js')] };
  },
  async ready({ settings, entra }) {
    if (!entra || !(await portAnswers(settings.SPC_ENTRA_ISSUER_PORT))) return false;
    const discovery = `https://127.0.0.1:${settings.SPC_ENTRA_ISSUER_PORT}/${entra.tenantId}/v2.0/.well-known/openid-configuration`;
    return (await httpsStatus(discovery, entra.tlsCertFile)) === 200;
  },
};

const azuriteOAuth: StackService = {
  name: 'azurite-oauth',
  ports: (s) => [{ port: s.SPC_AZURITE_OAUTH_PORT, variable: 'SPC_AZURITE_OAUTH_PORT' }],
  describe: (s) => `https://127.0.0.1:${s.SPC_AZURITE_OAUTH_PORT}/${LOCAL_STORAGE_ACCOUNT} (blob, OAuth)`,
  async command({ settings, secrets, entra }) {
    if (!entra) throw new Error('azurite-oauth needs the stack certificate');
    const main = require.resolve('azurite/dist/src/blob/main.js');
    const args = [main, '--blobHost', '127.0.0.1', '--blobPort', String(settings.SPC_AZURITE_OAUTH_PORT)];
    args.push('--location', path.join(settings.SPC_STACK_DIR, 'azurite-oauth'), '--skipApiVersionCheck');
    // basic: Azurite checks a token's issuer, audience and lifetime, not its signature (Azurite's README).
    args.push('--oauth', 'basic', '--cert', entra.tlsCertFile, '--key', entra.tlsKeyFile);
    return { file: process.execPath, args, env: { AZURITE_ACCOUNTS: `${LOCAL_STORAGE_ACCOUNT}:${secrets.storageKey}` } };
  },
  async ready({ settings, entra }) {
    if (!entra || !(await portAnswers(settings.SPC_AZURITE_OAUTH_PORT))) return false;
    // An anonymous request: any HTTP answer over the stack's TLS proves Azurite serves https with our certificate.
    const status = await httpsStatus(`https://127.0.0.1:${settings.SPC_AZURITE_OAUTH_PORT}/${LOCAL_STORAGE_ACCOUNT}?comp=list`, entra.tlsCertFile);
    return status > 0;
  },
};

/** The services `stack up` starts, in order. */
export const stackServices: StackService[] = [temporalServer, azurite, localBatch];

/** Started too with SPC_STACK_ENTRA=1: the token issuer and an https Azurite that takes its tokens. */
export const entraServices: StackService[] = [tokenIssuer, azuriteOAuth];
