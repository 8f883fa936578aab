import { BatchSharedKeyCredentials } from '@azure/batch';
import { WebResource, type HttpMethods } from '@azure/ms-rest-js';
import { createHmac } from 'node:crypto';
import { request } from 'node:http';

export const JS_API_VERSION = '2022-10-01.16.0';
export const PY_API_VERSION = '2021-06-01.14.0';

export interface RawRequest {
  method: HttpMethods;
  path: string;
  /** Query parameters; api-version defaults to the JS SDK's, null leaves it out. */
  query?: Record<string, string | null>;
  body?: string;
  headers?: Record<string, string>;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> | undefined;
}

function urlOf(base: string, req: RawRequest): string {
  const query = { 'api-version': JS_API_VERSION, ...req.query };
  const parts = Object.entries(query)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  return `${base}${req.path}${parts.length ? `?${parts.join('&')}` : ''}`;
}

/** Sends exactly the given headers (node:http, unlike fetch, adds no Content-Type and keeps Content-Length: 0). */
function send(url: string, method: string, headers: Record<string, string>, body: string | undefined): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> | undefined;
        try {
          json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
        } catch {
          json = undefined;
        }
        const responseHeaders = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) responseHeaders.set(k, Array.isArray(v) ? v.join(', ') : v);
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A request signed by the real @azure/batch signer, sent without the SDK's retry pipeline. */
export async function jsSignedRequest(base: string, account: string, key: string, req: RawRequest): Promise<RawResponse> {
  const url = urlOf(base, req);
  const resource = new WebResource(url, req.method, req.body, undefined, {
    'content-type': req.body !== undefined ? 'application/json; odata=minimalmetadata; charset=utf-8' : 'application/json; charset=utf-8',
    ...req.headers,
  });
  await new BatchSharedKeyCredentials(account, key).signRequest(resource);
  const headers = resource.headers.rawHeaders();
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  else if (req.method === 'POST') headers['content-length'] = '0';
  return send(url, req.method, headers, req.body);
}

/**
 * A request signed the way the Python azure-batch 11.0.0 SDK signs (batch-semantics.md section 2): Content-Length
 * header as sent (`0` on body-less POST/PUT/DELETE, absent on GET), Content-Type only with a body, headers containing
 * `ocp-`, empty query values dropped, and its api-version.
 */
export async function pySignedRequest(base: string, account: string, key: string, req: RawRequest): Promise<RawResponse> {
  const url = urlOf(base, { ...req, query: { 'api-version': PY_API_VERSION, timeout: '30', ...req.query } });
  const headers: Record<string, string> = { 'ocp-date': new Date().toUTCString(), 'client-request-id': crypto.randomUUID(), ...req.headers };
  if (req.body !== undefined) headers['content-type'] = 'application/json; odata=minimalmetadata; charset=utf-8';
  const contentLength = req.body !== undefined ? String(Buffer.byteLength(req.body)) : req.method === 'GET' || req.method === 'HEAD' ? '' : '0';
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const standard = ['content-encoding', 'content-language', 'content-length', 'content-md5', 'content-type', 'date', 'if-modified-since', 'if-match', 'if-none-match', 'if-unmodified-since', 'range'].map((h) =>
    h === 'content-length' ? contentLength : (lower[h] ?? ''),
  );
  const ocp = Object.keys(lower)
    .filter((k) => k.includes('ocp-'))
    .sort()
    .map((k) => `${k}:${lower[k]}\n`)
    .join('');
  const parsed = new URL(url);
  const query = [...parsed.searchParams]
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))
    .map(([k, v]) => `\n${k}:${v}`)
    .join('');
  const toSign = `${req.method}\n${standard.join('\n')}\n${ocp}/${account}${parsed.pathname}${query}`;
  const signature = createHmac('sha256', Buffer.from(key, 'base64')).update(toSign, 'utf8').digest('base64');
  headers.authorization = `SharedKey ${account}:${signature}`;
  if (contentLength) headers['content-length'] = contentLength;
  return send(url, req.method, headers, req.body);
}
