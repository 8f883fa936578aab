/**
 * A small Entra ID stand-in for the stack, enough for the real @azure/identity (MSAL) client-credentials flow:
 * OpenID discovery, the signing keys, and a token endpoint that issues RS256 access tokens to the stack's one app
 * registration. Tokens look like Entra's for Azure resources (v1: `iss` https://sts.windows.net/<tenant>/, `aud` the
 * resource of the requested `<resource>/.default` scope, `tid`, `oid`), which is what the local Batch service and
 * Azurite's `--oauth basic` check. HTTPS only, because MSAL refuses an http authority.
 */
import { createPrivateKey, createPublicKey, sign, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tokenIssuerOf, type LocalEntra } from './entra';

/** Lifetime of issued tokens, as Entra's default for client credentials (60-90 minutes). */
export const TOKEN_LIFETIME_S = 3600;
const KEY_ID = 'spc-local-1';

export interface TokenIssuer {
  /** The authority host to give @azure/identity (AZURE_AUTHORITY_HOST), e.g. https://127.0.0.1:10200 */
  authorityHost: string;
  port: number;
  close(): Promise<void>;
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** An OAuth error body in Entra's shape (error, error_description, error_codes). */
function oauthError(res: ServerResponse, status: number, error: string, code: number, description: string): void {
  json(res, status, { error, error_description: `AADSTS${code}: ${description}`, error_codes: [code], timestamp: new Date().toISOString() });
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** A signed access token for `resource` (the scope without its `/.default`). */
export function accessToken(entra: LocalEntra, resource: string, nowS = Math.floor(Date.now() / 1000)): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: KEY_ID }));
  const claims = {
    aud: resource,
    iss: tokenIssuerOf(entra.tenantId),
    iat: nowS,
    nbf: nowS,
    exp: nowS + TOKEN_LIFETIME_S,
    appid: entra.clientId,
    oid: entra.objectId,
    sub: entra.objectId,
    tid: entra.tenantId,
    ver: '1.0',
  };
  const payload = b64url(JSON.stringify(claims));
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), createPrivateKey(entra.signingKeyPem));
  return `${header}.${payload}.${b64url(signature)}`;
}

function handler(entra: LocalEntra, origin: () => string) {
  const tenant = entra.tenantId;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://issuer');
    const base = `${origin()}/${tenant}`;
    if (req.method === 'GET' && url.pathname === `/${tenant}/v2.0/.well-known/openid-configuration`) {
      return json(res, 200, {
        issuer: `${base}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        response_types_supported: ['code', 'id_token', 'token'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_post'],
      });
    }
    if (req.method === 'GET' && url.pathname === `/${tenant}/discovery/v2.0/keys`) {
      const jwk = createPublicKey(entra.signingPublicKeyPem).export({ format: 'jwk' });
      return json(res, 200, { keys: [{ ...jwk, kty: 'RSA', use: 'sig', alg: 'RS256', kid: KEY_ID }] });
    }
    if (req.method === 'POST' && url.pathname === `/${tenant}/oauth2/v2.0/token`) {
      const form = await readForm(req);
      if (form.get('grant_type') !== 'client_credentials') return oauthError(res, 400, 'unsupported_grant_type', 70003, 'Only client_credentials is supported by this issuer.');
      if (form.get('client_id') !== entra.clientId) return oauthError(res, 400, 'unauthorized_client', 700016, `Application with identifier '${form.get('client_id') ?? ''}' was not found in tenant ${tenant}.`);
      if (!sameSecret(form.get('client_secret') ?? '', entra.clientSecret)) return oauthError(res, 401, 'invalid_client', 7000215, 'Invalid client secret provided.');
      const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      if (scopes.length !== 1 || !scopes[0].endsWith('/.default')) {
        return oauthError(res, 400, 'invalid_scope', 1002012, `The scope '${form.get('scope') ?? ''}' is not valid: client credentials take one <resource>/.default scope.`);
      }
      const resource = scopes[0].slice(0, -'/.default'.length);
      return json(res, 200, { token_type: 'Bearer', expires_in: TOKEN_LIFETIME_S, ext_expires_in: TOKEN_LIFETIME_S, access_token: accessToken(entra, resource) });
    }
    json(res, 404, { error: 'not_found', error_description: `no such endpoint: ${req.method ?? ''} ${url.pathname}` });
  };
}

/** Starts the issuer on 127.0.0.1:`port` (0: ephemeral) with the stack's TLS certificate. */
export async function startTokenIssuer(entra: LocalEntra, port: number): Promise<TokenIssuer> {
  let origin = '';
  const handle = handler(entra, () => origin);
  const server: Server = createServer({ key: readFileSync(entra.tlsKeyFile), cert: readFileSync(entra.tlsCertFile) }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error('token-issuer: request failed', err);
      if (!res.headersSent) json(res, 500, { error: 'server_error' });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  origin = `https://127.0.0.1:${actual}`;
  return {
    authorityHost: origin,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
