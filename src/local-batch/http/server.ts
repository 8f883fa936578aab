import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accountRoutes } from '../model/account';
import { handleAdmin } from './admin';
import { isBearer, verifyBearer, verifySharedKey, type TokenTrust } from './auth';
import { Engine } from '../model/engine';
import { BatchError } from './errors';
import type { FaultSettings } from './faults';
import type { QuotaSettings } from '../model/quotas';
import type { EmulatedStorage } from '../execution/storage-urls';
import { watchSpotEvictions } from '../execution/spot-eviction';
import { fileRoutes } from '../execution/files';
import { errorReply, newRequestId, parseQuery, readBody, send, type Reply, type Request } from './request-reply';
import { jobRoutes } from '../model/jobs';
import { killStartTasks } from '../model/nodes';
import { poolRoutes } from '../model/pools';
import { restoreState, resumeAfterRestore } from '../model/restore';
import type { Route } from './routing';
import { taskRoutes } from '../model/tasks';

/**
 * api-versions accepted, one wire for all: those of the Python azure-batch 11.0.0 SDK (2021-06-01.14.0) and
 * @azure/batch 10.2.0 (2022-10-01.16.0), the stable ones since, and the current 2025-06-01 (named 2025-06-01.21.0 in
 * the spec folder; Azure retires versions older than it).
 */
export const SUPPORTED_API_VERSIONS = [
  '2021-06-01.14.0',
  '2022-01-01.15.0',
  '2022-10-01.16.0',
  '2023-05-01.17.0',
  '2023-11-01.18.0',
  '2024-02-01.19.0',
  '2024-07-01.20.0',
  '2025-06-01',
  '2025-06-01.21.0',
];

export interface LocalBatchOptions {
  /** TCP port; 0 = ephemeral. @default 0 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  accountName: string;
  /** Base64 account key (SharedKey). */
  accountKey: string;
  /** Where state, node directories and task files live. */
  dataDir: string;
  /** Time a pool spends resizing before its nodes appear, in ms. @default 1000 */
  allocationDelayMs?: number;
  /** How long a new node is `creating`, and at least how long `starting`, in ms. @default allocationDelayMs / 4 */
  nodeStateDelayMs?: number;
  faults?: FaultSettings;
  /** Also accept Entra ID bearer tokens from this issuer (audience https://batch.core.windows.net/). */
  tokenTrust?: TokenTrust;
  /** Account quotas (see README); absent = unlimited. */
  quotas?: QuotaSettings;
  /** When the service runs as root: the account nonadmin tasks run as. @default 'nobody' */
  taskUser?: string;
  /**
   * The storage account the stack emulates (Azurite): resource and output URLs naming
   * `https://<accountName>.blob.core.windows.net/...` go to its local `blobEndpoint`, SAS kept.
   */
  storage?: EmulatedStorage;
}

export interface LocalBatchService {
  url: string;
  port: number;
  /** Stops the server and kills every task process (state stays on disk for a restart). */
  close(): Promise<void>;
}

const routes: Route[] = [...accountRoutes, ...poolRoutes, ...jobRoutes, ...taskRoutes, ...fileRoutes];

function findRoute(method: string, rawPath: string): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(rawPath);
    if (m) {
      try {
        return { route, params: m.slice(1).map((p) => decodeURIComponent(p)) };
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function checkApiVersion(query: Map<string, string>): void {
  const version = query.get('api-version');
  if (version === undefined) {
    throw new BatchError(400, 'MissingRequiredQueryParameter', 'A query parameter that\'s mandatory for this request is not specified.', [
      { key: 'QueryParameterName', value: 'api-version' },
    ]);
  }
  if (!SUPPORTED_API_VERSIONS.includes(version)) {
    throw new BatchError(400, 'UnsupportedRequestVersion', 'The specified api-version is not supported.', [
      { key: 'QueryParameterName', value: 'api-version' },
      { key: 'QueryParameterValue', value: version },
    ]);
  }
}

/** Methods that change nothing; every other request is answered only once its changes are in the journal. */
const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * Waits until what the request changed is durable (group commit: requests arriving together share one append and
 * one fdatasync), so a client is never told of an entity that a restart would not know. A failed write is a 500:
 * the client retries, and a retried add then finds the entity (the memory state kept it) or creates it.
 */
async function afterJournal(engine: Engine, reply: Reply, request: Request, operation: string): Promise<Reply> {
  try {
    await engine.store.durable();
    return reply;
  } catch (err) {
    console.error(`local-batch: ${operation}: journal write failed:`, err);
    return errorReply(new BatchError(500, 'InternalError', 'Server encountered an internal error. Please try again after some time.'), request);
  }
}

async function handle(engine: Engine, tokenTrust: TokenTrust | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = newRequestId();
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const method = req.method ?? 'GET';
  const request: Request = {
    method,
    rawPath,
    query: parseQuery(rawQuery),
    headers: req.headers,
    body: Buffer.alloc(0),
    origin: `http://${req.headers.host ?? engine.baseUrl.replace(/^http:\/\//, '')}`,
    requestId,
  };
  const found = rawPath.startsWith('/_admin/') ? undefined : findRoute(method, rawPath);
  const operation = rawPath.startsWith('/_admin/') ? 'Admin' : (found?.route.operation ?? 'Unknown');
  let reply: Reply;
  try {
    request.body = await readBody(req);
    if (operation === 'Admin') {
      reply = handleAdmin(engine, request);
    } else {
      if (tokenTrust && isBearer(req.headers)) verifyBearer(tokenTrust, req.headers);
      else verifySharedKey(engine.options.accountName, engine.key, { method, rawPath, rawQuery, headers: req.headers, bodyLength: request.body.length });
      checkApiVersion(request.query);
      if (!found) throw new BatchError(404, 'ResourceNotFound', 'The specified resource does not exist.');
      const latency = engine.faults.latencyFor(operation);
      if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
      const injected = engine.faults.errorFor(operation);
      if (injected) throw injected;
      reply = await found.route.handler(engine, request, found.params);
    }
  } catch (err) {
    if (!(err instanceof BatchError)) console.error(`local-batch: ${operation} failed:`, err);
    const error = err instanceof BatchError ? err : new BatchError(500, 'InternalError', 'Server encountered an internal error. Please try again after some time.');
    reply = errorReply(error, request);
  }
  if (!READ_METHODS.has(method)) reply = await afterJournal(engine, reply, request, operation);
  if (operation !== 'Admin') engine.stats.record(operation, reply.status);
  send(req, res, reply, requestId);
}

/**
 * Starts the local Batch service: the Azure Batch data-plane REST subset on loopback, running tasks as local
 * processes, with state persisted under `dataDir` (a restart with the same dataDir resumes; running tasks are
 * requeued).
 */
export async function startLocalBatchService(o: LocalBatchOptions): Promise<LocalBatchService> {
  const engine = new Engine({
    accountName: o.accountName,
    accountKey: o.accountKey,
    dataDir: o.dataDir,
    allocationDelayMs: o.allocationDelayMs ?? 1000,
    nodeStateDelayMs: o.nodeStateDelayMs ?? Math.round((o.allocationDelayMs ?? 1000) / 4),
    faults: o.faults,
    quotas: o.quotas,
    taskUser: o.taskUser,
    storage: o.storage,
  });
  restoreState(engine);
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    handle(engine, o.tokenTrust, req, res).catch((err: unknown) => {
      console.error('local-batch: request failed', err);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  engine.baseUrl = `http://${host}:${port}`;
  resumeAfterRestore(engine);
  watchSpotEvictions(engine);
  let closing: Promise<void> | undefined;
  return {
    url: engine.baseUrl,
    port,
    close() {
      closing ??= (async () => {
        for (const attempt of engine.attempts.values()) {
          attempt.abandoned = true;
          attempt.handle?.kill();
        }
        killStartTasks(engine);
        const stateWritten = engine.shutdown();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await stateWritten;
      })();
      return closing;
    },
  };
}
