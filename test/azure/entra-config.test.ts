import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, usesEntraForBatch, usesEntraForStorage } from '../../src/config';

/** A real Azure environment with no keys at all (an empty stack folder: no generated keys to fall back on). */
const entra = {
  SPC_STACK_DIR: mkdtempSync(path.join(tmpdir(), 'spc-entra-config-')),
  AZURE_BATCH_URL: 'https://spcbatch.uksouth.batch.azure.com',
  AZURE_BATCH_ACCOUNT: 'spcbatch',
  AZURE_STORAGE_ACCOUNT_URL: 'https://spcstore.blob.core.windows.net',
};

describe('Entra ID configuration', () => {
  it('takes a Batch URL without a key and a storage account URL as Entra ID, with the Batch scope of public Azure', () => {
    const config = loadConfig(entra);
    assert.ok(usesEntraForBatch(config) && usesEntraForStorage(config));
    assert.equal(config.AZURE_BATCH_KEY, undefined);
    assert.equal(config.AZURE_STORAGE_CONNECTION_STRING, undefined);
    assert.equal(config.AZURE_BATCH_SCOPE, 'https://batch.core.windows.net//.default');
    assert.equal(config.SPC_ENTRA_INSTANCE_DISCOVERY, 'on');
  });

  it('keeps shared keys when they are given, Batch and Storage each on its own', () => {
    const config = loadConfig({ ...entra, AZURE_BATCH_KEY: 'a2V5a2V5' });
    assert.ok(!usesEntraForBatch(config) && usesEntraForStorage(config));
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{ AZURE_STORAGE_ACCOUNT_URL: 'http://spcstore.blob.core.windows.net' }, /AZURE_STORAGE_ACCOUNT_URL: must be an https URL/],
    [{ AZURE_STORAGE_CONNECTION_STRING: 'AccountName=a;AccountKey=a2V5' }, /AZURE_STORAGE_ACCOUNT_URL: set it \(Entra ID\) or a storage key .*not both/],
    [{ AZURE_BATCH_SCOPE: 'https://batch.core.windows.net/' }, /AZURE_BATCH_SCOPE: must be an https resource id followed by \/\.default/],
    [{ SPC_ENTRA_INSTANCE_DISCOVERY: 'no' }, /SPC_ENTRA_INSTANCE_DISCOVERY: must be on or off/],
    [{ SPC_POOL_OUTPUT_IDENTITY: 'spc-uploader' }, /SPC_POOL_OUTPUT_IDENTITY: must be the resource id of a user-assigned identity/],
  ];
  for (const [change, message] of bad) {
    it(`refuses ${JSON.stringify(change)} naming the variable`, () => {
      assert.throws(() => loadConfig({ ...entra, ...change }), (err: Error) => err instanceof RangeError && message.test(err.message));
    });
  }

  it('names the storage variables when none is set and there is no local stack', () => {
    const { AZURE_STORAGE_ACCOUNT_URL: _, ...withoutStorage } = entra;
    assert.throws(() => loadConfig(withoutStorage), /AZURE_STORAGE_CONNECTION_STRING: .*for Entra ID set AZURE_STORAGE_ACCOUNT_URL/);
  });

  it('accepts a pool identity resource id for output uploads', () => {
    const id = '/subscriptions/0000/resourceGroups/spc/providers/Microsoft.ManagedIdentity/userAssignedIdentities/spc-uploader';
    assert.equal(loadConfig({ ...entra, SPC_POOL_OUTPUT_IDENTITY: id }).SPC_POOL_OUTPUT_IDENTITY, id);
  });
});
