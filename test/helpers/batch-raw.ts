import { BatchSharedKeyCredentials } from '@azure/batch';
import { WebResource, type HttpMethods } from '@azure/ms-rest-js';
import { request } from 'node:http';

export const JS_API_VERSION = '2022-10-01.16.0';
/** What the Python azure-batch 11.0.0 SDK sends (the SPC pipeline's client). */
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
