/**
 * The local Batch service's bearer-token check, and the product's Batch client through it: real @azure/batch with
 * the token adapter, tokens signed by the stack's issuer key (made by the code the issuer serves them with).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { outputContainer } from '../../src/activities/sas';
import { createBatchClient, createBlobServiceClient } from '../../src/azure/clients';
import { startLocalBatchService, type LocalBatchService } from '../../src/local-batch/http/server';
import { tokenIssuerOf, type LocalEntra } from '../../src/stack/entra';
import { accessToken } from '../../src/stack/token-issuer';
import { JS_API_VERSION } from '../helpers/batch-raw';

function localEntra(): LocalEntra {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    tenantId: randomUUID(),
    clientId: randomUUID(),
    clientSecret: 'unused',
    objectId: randomUUID(),
    signingKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    signingPublicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    tlsKeyFile: '',
    tlsCertFile: '',
  };
}

/** A TokenCredential handing out tokens minted with `entra`'s key, counting how often it is asked. */
class MintingCredential implements TokenCredential {
  calls = 0;
  constructor(private readonly entra: LocalEntra) {}
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    this.calls += 1;
    const scope = Array.isArray(scopes) ? scopes[0] : scopes;
    return { token: accessToken(this.entra, scope.slice(0, -'/.default'.length)), expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

describe('bearer tokens at the local Batch service', () => {
  const trusted = localEntra();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'spc-bearer-'));
  let service: LocalBatchService;
  const config = (scope = 'https://batch.core.windows.net//.default') => ({
    AZURE_BATCH_URL: service.url,
    AZURE_BATCH_ACCOUNT: 'spcbearer',
    AZURE_BATCH_SCOPE: scope,
    SPC_ENTRA_INSTANCE_DISCOVERY: 'off' as const,
  });
  const get = (authorization: string) => fetch(`${service.url}/pools?api-version=${JS_API_VERSION}`, { headers: { authorization } });

  before(async () => {
    service = await startLocalBatchService({
      accountName: 'spcbearer',
      accountKey: Buffer.from('k'.repeat(32)).toString('base64'),
      dataDir,
      tokenTrust: { issuer: tokenIssuerOf(trusted.tenantId), publicKeyPem: trusted.signingPublicKeyPem },
    });
  });
  after(async () => {
    await service.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the SDK with a token of the Batch audience, asking the credential once for many requests', async () => {
    const credential = new MintingCredential(trusted);
    const batch = createBatchClient(config(), undefined, credential);
    for (let i = 0; i < 5; i++) assert.equal((await batch.pool.list()).length, 0);
    assert.equal(credential.calls, 1);
  });

  it('refuses the wrong audience with 401 AuthenticationFailed naming both audiences', async () => {
    const batch = createBatchClient(config('https://batch.core.windows.net/.default'), undefined, new MintingCredential(trusted));
    await assert.rejects(batch.pool.list(), (err: { statusCode?: number; code?: string; body?: { values?: { key: string; value: string }[] } }) => {
      assert.equal(err.statusCode, 401);
      assert.equal(err.code, 'AuthenticationFailed');
      const detail = err.body?.values?.find((v) => v.key === 'AuthenticationErrorDetail')?.value ?? '';
      assert.match(detail, /wrong audience 'https:\/\/batch\.core\.windows\.net'; Batch accepts only 'https:\/\/batch\.core\.windows\.net\/'/);
      return true;
    });
  });

  it('refuses a token signed by another key, from another issuer, or expired', async () => {
    const stranger = localEntra();
    const foreign = await get(`Bearer ${accessToken({ ...stranger, tenantId: trusted.tenantId }, 'https://batch.core.windows.net/')}`);
    assert.equal(foreign.status, 401);
    assert.match(await foreign.text(), /signature is not valid/);
    const otherTenant = await get(`Bearer ${accessToken({ ...trusted, tenantId: stranger.tenantId }, 'https://batch.core.windows.net/')}`);
    assert.equal(otherTenant.status, 401);
    assert.match(await otherTenant.text(), /from issuer 'https:\/\/sts\.windows\.net\/[^']+\/', not the tenant of this account/);
    const expired = await get(`Bearer ${accessToken(trusted, 'https://batch.core.windows.net/', Math.floor(Date.now() / 1000) - 3 * 3600)}`);
    assert.equal(expired.status, 401);
    assert.match(await expired.text(), /expired at/);
  });
});

describe('output uploads through a pool identity', () => {
  const blobs = createBlobServiceClient({ AZURE_STORAGE_ACCOUNT_URL: 'https://spcstore.blob.core.windows.net', SPC_ENTRA_INSTANCE_DISCOVERY: 'on' });
  const identity = '/subscriptions/0000/resourceGroups/spc/providers/Microsoft.ManagedIdentity/userAssignedIdentities/spc-uploader';

  it('names the identity and carries no SAS in the destination', async () => {
    assert.deepEqual(await outputContainer(blobs, 'spc-run1', 3_600_000, identity), {
      containerUrl: 'https://spcstore.blob.core.windows.net/spc-run1',
      identityReference: { resourceId: identity },
    });
  });
});
