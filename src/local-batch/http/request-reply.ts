import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BatchError } from './errors';
import { isoTime, rfc1123 } from './wire';

/** Largest request body accepted at all (the add-collection limit of 1 MB is checked separately). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** One request as the routes see it. */
export interface Request {
  method: string;
  /** Path exactly as sent (still percent-encoded), without the query. */
  rawPath: string;
  /** Decoded query parameters (first value of each). */
  query: Map<string, string>;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** http://host:port, from the Host header, for absolute URLs. */
  origin: string;
  requestId: string;
}

/** What a route returns; `send` turns it into the wire response. */
export interface Reply {
  status: number;
  body?: unknown;
  /** Raw bytes or a stream writer, for the file API. */
  raw?: Buffer | ((res: ServerResponse) => void);
  headers?: Record<string, string>;
}

export function parseQuery(search: string): Map<string, string> {
  const query = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(search)) if (!query.has(key)) query.set(key, value);
  return query;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) reject(new BatchError(413, 'RequestBodyTooLarge', 'The request body is too large and exceeds the maximum permissible limit.'));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** Parses the JSON body; malformed JSON or a non-object is 400 InvalidRequestBody. */
export function jsonBody(req: Request): Record<string, unknown> {
  const text = req.body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    throw new BatchError(400, 'InvalidRequestBody', 'The specified Request Body is not syntactically valid.', [
      { key: 'Reason', value: (err as Error).message },
    ]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BatchError(400, 'InvalidRequestBody', 'The specified Request Body is not syntactically valid.', [
      { key: 'Reason', value: 'The request body must be a JSON object.' },
    ]);
  }
  return parsed as Record<string, unknown>;
}

export function metadataUrl(origin: string, suffix: string): string {
  return `${origin}/$metadata#${suffix}`;
}

export function errorReply(err: BatchError, req: Pick<Request, 'origin' | 'requestId'>): Reply {
  const body: Record<string, unknown> = {
    'odata.metadata': metadataUrl(req.origin, 'Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element'),
    code: err.code,
    message: { lang: 'en-US', value: `${err.message}\nRequestId:${req.requestId}\nTime:${isoTime()}` },
  };
  if (err.values.length > 0) body.values = err.values;
  return { status: err.status, body, headers: err.headers };
}

/** Standard headers of an entity response: ETag, Last-Modified, and DataServiceId when given. */
export function entityHeaders(entity: { eTag: string; lastModified: string; url?: string }, dataServiceId?: string): Record<string, string> {
  const headers: Record<string, string> = { ETag: entity.eTag, 'Last-Modified': rfc1123(entity.lastModified) };
  if (dataServiceId) headers.DataServiceId = dataServiceId;
  return headers;
}

export function send(req: IncomingMessage, res: ServerResponse, reply: Reply, requestId: string): void {
  res.setHeader('request-id', requestId);
  if (String(req.headers['return-client-request-id']).toLowerCase() === 'true' && req.headers['client-request-id']) {
    res.setHeader('client-request-id', String(req.headers['client-request-id']));
  }
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  res.statusCode = reply.status;
  if (typeof reply.raw === 'function') return reply.raw(res);
  if (reply.raw) {
    if (!res.hasHeader('Content-Length')) res.setHeader('Content-Length', reply.raw.length);
    res.end(req.method === 'HEAD' ? undefined : reply.raw);
    return;
  }
  if (reply.body === undefined) {
    res.setHeader('Content-Length', 0);
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  res.setHeader('Content-Type', 'application/json;odata=minimalmetadata');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(req.method === 'HEAD' ? undefined : text);
}

export const newRequestId = (): string => randomUUID();

function conditionNotMet(): BatchError {
  return new BatchError(412, 'ConditionNotMet', 'The condition specified using HTTP conditional header(s) is not met.');
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** If-Match / If-None-Match / If-(Un)Modified-Since on a read: 304 when unchanged, 412 when a precondition fails. */
export function readConditions(req: Request, entity: { eTag: string; lastModified: string }): Reply | undefined {
  const ifMatch = header(req, 'if-match');
  if (ifMatch && ifMatch !== '*' && ifMatch !== entity.eTag) throw conditionNotMet();
  const ifUnmodified = header(req, 'if-unmodified-since');
  if (ifUnmodified && seconds(entity.lastModified) > Date.parse(ifUnmodified) / 1000) throw conditionNotMet();
  const ifNoneMatch = header(req, 'if-none-match');
  if (ifNoneMatch && (ifNoneMatch === '*' || ifNoneMatch === entity.eTag)) return { status: 304 };
  const ifModified = header(req, 'if-modified-since');
  if (ifModified && seconds(entity.lastModified) <= Date.parse(ifModified) / 1000) return { status: 304 };
  return undefined;
}

/** The same headers on a write: any failed precondition is 412 ConditionNotMet and nothing changes. */
export function writeConditions(req: Request, entity: { eTag: string; lastModified: string }): void {
  const ifMatch = header(req, 'if-match');
  if (ifMatch && ifMatch !== '*' && ifMatch !== entity.eTag) throw conditionNotMet();
  const ifNoneMatch = header(req, 'if-none-match');
  if (ifNoneMatch && (ifNoneMatch === '*' || ifNoneMatch === entity.eTag)) throw conditionNotMet();
  const ifUnmodified = header(req, 'if-unmodified-since');
  if (ifUnmodified && seconds(entity.lastModified) > Date.parse(ifUnmodified) / 1000) throw conditionNotMet();
  const ifModified = header(req, 'if-modified-since');
  if (ifModified && seconds(entity.lastModified) <= Date.parse(ifModified) / 1000) throw conditionNotMet();
}
