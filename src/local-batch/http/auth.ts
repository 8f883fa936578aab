import { createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
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

/** The audience of Batch tokens, with its slash: a token for `https://batch.core.windows.net` is refused. */
export const BATCH_AUDIENCE = 'https://batch.core.windows.net/';
/** Token lifetimes are checked with this leeway for clock skew, as Entra-protected services do. */
const TOKEN_CLOCK_SKEW_S = 5 * 60;

/** Whose Entra ID tokens the service accepts: one issuer and the public key its RS256 signatures verify with. */
export interface TokenTrust {
  /** The `iss` claim accepted, e.g. `https://sts.windows.net/<tenant>/`. */
  issuer: string;
  /** The issuer's RSA public key, PEM. */
  publicKeyPem: string;
}

function refused(detail: string): BatchError {
  return new BatchError(
    401,
    'AuthenticationFailed',
    'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly.',
    [{ key: 'AuthenticationErrorDetail', value: detail }],
  );
}

const base64url = (part: string): Buffer => Buffer.from(part, 'base64url');

const keys = new Map<string, KeyObject>();
function publicKeyOf(pem: string): KeyObject {
  let key = keys.get(pem);
  if (!key) keys.set(pem, (key = createPublicKey(pem)));
  return key;
}

/**
 * Throws 401 AuthenticationFailed (detail under AuthenticationErrorDetail) unless the request carries
 * `Authorization: Bearer <JWT>` signed RS256 by the trusted issuer, from that issuer, for the Batch audience, and
 * within its lifetime.
 */
export function verifyBearer(trust: TokenTrust, headers: IncomingHttpHeaders, nowMs = Date.now()): void {
  const match = /^Bearer (\S+)$/.exec(headerValue(headers, 'authorization'));
  if (!match) throw refused('The Authorization header is missing or is not a Bearer token.');
  const parts = match[1].split('.');
  if (parts.length !== 3) throw refused('The access token is not a JWT.');
  let header: { alg?: string };
  let claims: { iss?: string; aud?: string | string[]; exp?: number; nbf?: number };
  try {
    header = JSON.parse(base64url(parts[0]).toString('utf8')) as typeof header;
    claims = JSON.parse(base64url(parts[1]).toString('utf8')) as typeof claims;
  } catch {
    throw refused('The access token is not a JWT.');
  }
  if (header.alg !== 'RS256') throw refused(`The access token is signed with ${String(header.alg)}; RS256 is required.`);
  const signed = verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), publicKeyOf(trust.publicKeyPem), base64url(parts[2]));
  if (!signed) throw refused('The access token signature is not valid.');
  if (claims.iss !== trust.issuer) throw refused(`The access token is from issuer '${String(claims.iss)}', not the tenant of this account ('${trust.issuer}').`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(BATCH_AUDIENCE)) {
    throw refused(`The access token has the wrong audience '${audiences.join(', ')}'; Batch accepts only '${BATCH_AUDIENCE}' (with the slash; scope https://batch.core.windows.net//.default).`);
  }
  const now = nowMs / 1000;
  if (typeof claims.exp !== 'number' || claims.exp + TOKEN_CLOCK_SKEW_S < now) throw refused(`The access token expired at ${new Date((claims.exp ?? 0) * 1000).toISOString()}.`);
  if (typeof claims.nbf === 'number' && claims.nbf - TOKEN_CLOCK_SKEW_S > now) throw refused(`The access token is not valid before ${new Date(claims.nbf * 1000).toISOString()}.`);
}

/** Whether the request authenticates with a bearer token rather than a shared key. */
export const isBearer = (headers: IncomingHttpHeaders): boolean => /^Bearer /.test(headerValue(headers, 'authorization'));
