/**
 * What the stack's Entra ID stand-in needs, generated once per stack folder under `entra/` (git-ignored, private
 * files mode 0600): a tenant, one app registration (client id + secret) that tokens are issued to, the RS256 key
 * tokens are signed with, and a self-signed TLS certificate for the issuer and the OAuth Azurite (MSAL refuses an
 * authority that is not https, and the Storage SDK refuses bearer tokens over http). Clients trust the certificate
 * through NODE_EXTRA_CA_CERTS.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { StackSettings } from '../schemas/config';
import { StackError } from './errors';

export interface LocalEntra {
  tenantId: string;
  clientId: string;
  /** Secret of the app registration. Never logged. */
  clientSecret: string;
  /** Object id of the app's service principal: the `oid` of its tokens (user delegation keys are bound to it). */
  objectId: string;
  /** RS256 signing key of the issuer, PEM (private; the public half is {@link signingPublicKeyPem}). */
  signingKeyPem: string;
  signingPublicKeyPem: string;
  /** TLS key and self-signed certificate (also the CA to trust) of the https services. */
  tlsKeyFile: string;
  tlsCertFile: string;
}

/** The `iss` of access tokens, as Entra ID writes it into tokens for Azure resources (v1 tokens). */
export const tokenIssuerOf = (tenantId: string): string => `https://sts.windows.net/${tenantId}/`;

const dirOf = (settings: StackSettings) => path.join(settings.SPC_STACK_DIR, 'entra');
const registrationFile = (settings: StackSettings) => path.join(dirOf(settings), 'registration.json');

/** The stack's Entra material, if `stack up` generated it. */
export function readLocalEntra(settings: StackSettings): LocalEntra | undefined {
  const file = registrationFile(settings);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LocalEntra) : undefined;
}

/**
 * Returns the stack's Entra material, generating it on first use. The certificate needs `openssl`; without it
 * nothing is generated and undefined returned, unless `required` (SPC_STACK_ENTRA=1), which then throws.
 */
export function ensureLocalEntra(settings: StackSettings, required: boolean): LocalEntra | undefined {
  const existing = readLocalEntra(settings);
  if (existing) return existing;
  const dir = dirOf(settings);
  mkdirSync(dir, { recursive: true });
  const tlsKeyFile = path.join(dir, 'tls-key.pem');
  const tlsCertFile = path.join(dir, 'tls-cert.pem');
  try {
    // 127.0.0.1 and localhost as subject alternative names: Node checks the address it connected to.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '825', '-subj', '/CN=spc-temporal local stack', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', tlsKeyFile, '-out', tlsCertFile], { stdio: 'pipe' });
    chmodSync(tlsKeyFile, 0o600);
  } catch (err) {
    if (!required) return undefined;
    throw new StackError(`SPC_STACK_ENTRA=1 needs openssl to make the stack's self-signed certificate (apt-get install openssl): ${(err as Error).message.split('\n')[0]}`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const entra: LocalEntra = {
    tenantId: randomUUID(),
    clientId: randomUUID(),
    clientSecret: randomBytes(30).toString('base64url'),
    objectId: randomUUID(),
    signingKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    signingPublicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    tlsKeyFile,
    tlsCertFile,
  };
  writeFileSync(registrationFile(settings), JSON.stringify(entra), { mode: 0o600 });
  return entra;
}
