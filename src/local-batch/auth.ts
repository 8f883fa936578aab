import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { BatchError } from './errors';

/** Requests whose date is further than this from now are rejected, as the service does. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const STANDARD_HEADERS = [
  'content-encoding',
  'content-language',
  'content-length',
  'content-md5',
  'content-type',
  'date',
  'if-modified-since',
  'if-match',
  'if-none-match',
  'if-unmodified-since',
  'range',
];

export interface SignedRequest {
  method: string;
  rawPath: string;
  /** The raw query string without '?', still encoded. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  bodyLength: number;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

function canonicalHeaders(headers: IncomingHttpHeaders, select: (name: string) => boolean): string {
  return Object.keys(headers)
    .filter(select)
    .sort()
    .map((name) => `${name}:${headerValue(headers, name)}\n`)
    .join('');
}

function canonicalQuery(rawQuery: string, keepEmpty: boolean): string {
  const byName = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    if (value === '' && !keepEmpty) continue;
    const values = byName.get(name) ?? [];
    values.push(value);
    byName.set(name, values);
  }
  return [...byName.keys()]
    .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0))
    .map((name) => `\n${name}:${byName.get(name)!.sort().join(',')}`)
    .join('');
}

/**
 * Every string-to-sign the SharedKey algorithm (batch-semantics.md section 2) admits for this request: the
 * standard headers exactly as received, plus the few variations between the JS and Python SDKs (ocp- prefix vs
 * substring, empty query values kept or dropped, Content-Length taken from the body when the header is absent).
 */
export function stringsToSign(account: string, req: SignedRequest): string[] {
  const contentLengths = new Set([headerValue(req.headers, 'content-length')]);
  if (req.headers['content-length'] === undefined) {
    contentLengths.add(req.bodyLength > 0 ? String(req.bodyLength) : req.method === 'POST' ? '0' : '');
  }
  const results = new Set<string>();
  for (const contentLength of contentLengths) {
    const standard = STANDARD_HEADERS.map((name) => (name === 'content-length' ? contentLength : headerValue(req.headers, name)));
    for (const select of [(n: string) => n.startsWith('ocp-'), (n: string) => n.includes('ocp-')]) {
      for (const keepEmpty of [true, false]) {
        const resource = `/${account}${req.rawPath}${canonicalQuery(req.rawQuery, keepEmpty)}`;
        results.add(`${req.method}\n${standard.join('\n')}\n${canonicalHeaders(req.headers, select)}${resource}`);
      }
    }
  }
  return [...results];
}

function fail(detail: string): BatchError {
  return new BatchError(
    403,
    'AuthenticationFailed',
    'Server failed to authenticate the request. Make sure the value of Authorization header is well-formed including the signature.',
    [{ key: 'AuthenticationErrorDetail', value: detail }],
  );
}

/** Throws 403 AuthenticationFailed unless the request carries a valid, fresh SharedKey signature. */
export function verifySharedKey(account: string, key: Buffer, req: SignedRequest, now = Date.now()): void {
  const authorization = headerValue(req.headers, 'authorization');
  const match = /^SharedKey ([^:]+):(.+)$/.exec(authorization);
  if (!match) throw fail('The Authorization header is missing or is not a SharedKey header.');
  if (match[1] !== account) throw fail(`The account ${match[1]} in the Authorization header is not this account.`);
  const date = headerValue(req.headers, 'ocp-date') || headerValue(req.headers, 'date');
  const sentAt = Date.parse(date);
  if (!date || Number.isNaN(sentAt)) throw fail('The request has no valid ocp-date or Date header.');
  if (Math.abs(now - sentAt) > MAX_CLOCK_SKEW_MS) throw fail(`Request date header too old: '${date}'`);
  const given = Buffer.from(match[2], 'base64');
  for (const candidate of stringsToSign(account, req)) {
    const expected = createHmac('sha256', key).update(candidate, 'utf8').digest();
    if (expected.length === given.length && timingSafeEqual(expected, given)) return;
  }
  throw fail('The MAC signature found in the HTTP request is not the same as any computed signature.');
}
