import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, loadStackSettings } from '../../src/config';

const complete = {
  SPC_STACK_DIR: mkdtempSync(path.join(tmpdir(), 'spc-config-')),
  AZURE_STORAGE_CONNECTION_STRING: 'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net',
  AZURE_BATCH_URL: 'https://acct.uksouth.batch.azure.com',
  AZURE_BATCH_ACCOUNT: 'acct',
  AZURE_BATCH_KEY: 'a2V5a2V5',
};

describe('loadConfig', () => {
  it('accepts a complete environment and fills defaults', () => {
    const config = loadConfig(complete);
    assert.equal(config.SPC_TEMPORAL_ADDRESS, '127.0.0.1:7233');
    assert.equal(config.SPC_TASK_QUEUE, 'spc-run');
    assert.equal(config.AZURE_BATCH_URL, complete.AZURE_BATCH_URL);
    assert.ok(Object.isFrozen(config));
  });

  it('takes the Temporal port of the stack settings', () => {
    assert.equal(loadConfig({ ...complete, SPC_TEMPORAL_PORT: '17233' }).SPC_TEMPORAL_ADDRESS, '127.0.0.1:17233');
  });

  const bad: [string, string, RegExp][] = [
    ['SPC_TEMPORAL_ADDRESS', 'localhost', /SPC_TEMPORAL_ADDRESS: must be host:port/],
    ['SPC_TASK_QUEUE', 'has space', /SPC_TASK_QUEUE: must be letters/],
    ['AZURE_BATCH_URL', 'ftp://x', /AZURE_BATCH_URL: must be an http\(s\) URL/],
    ['AZURE_BATCH_ACCOUNT', 'Bad_Name', /AZURE_BATCH_ACCOUNT: must be 3-24 lowercase/],
    ['AZURE_BATCH_KEY', 'not base64!', /AZURE_BATCH_KEY: must be a base64 key/],
    ['AZURE_STORAGE_CONNECTION_STRING', 'AccountName=x', /AZURE_STORAGE_CONNECTION_STRING: must contain AccountName= and AccountKey=/],
    ['SPC_MAX_CACHED_WORKFLOWS', '1', /SPC_MAX_CACHED_WORKFLOWS: must be 0 \(no cache\) or 2\.\.100000/],
    ['SPC_MAX_CACHED_WORKFLOWS', 'lots', /SPC_MAX_CACHED_WORKFLOWS: must be a whole number of workflows/],
  ];
  for (const [field, value, message] of bad) {
    it(`rejects ${field}=${JSON.stringify(value)} naming the field`, () => {
      assert.throws(() => loadConfig({ ...complete, [field]: value }), (err: Error) => {
        assert.ok(err instanceof RangeError);
        assert.match(err.message, message);
        return true;
      });
    });
  }

  it('names a missing key of the local Batch service and says how to get it', () => {
    const { AZURE_BATCH_KEY: _, AZURE_BATCH_URL: __, ...withoutKey } = complete;
    assert.throws(() => loadConfig(withoutKey), /AZURE_BATCH_KEY: .*for Entra ID set AZURE_BATCH_URL without a key.*npm run stack -- up/);
  });

  it('does not echo a secret value in its error', () => {
    const secret = 'c2VjcmV0LXNlY3JldA==';
    assert.throws(
      () => loadConfig({ ...complete, AZURE_STORAGE_CONNECTION_STRING: `AccountName=x;Key=${secret}` }),
      (err: Error) => !err.message.includes(secret),
    );
  });
});

describe('Azure-style storage variables', () => {
  const { AZURE_STORAGE_CONNECTION_STRING: _, ...withoutConnectionString } = complete;

  it('builds the connection string from account name and key, with the public endpoint by default', () => {
    const config = loadConfig({ ...withoutConnectionString, AZURE_STORAGE_ACCOUNT_NAME: 'spcstore', AZURE_STORAGE_ACCOUNT_KEY: 'a2V5' });
    assert.match(config.AZURE_STORAGE_CONNECTION_STRING ?? '', /AccountName=spcstore;AccountKey=a2V5;BlobEndpoint=https:\/\/spcstore\.blob\.core\.windows\.net;/);
  });

  it('names the missing half of the pair', () => {
    assert.throws(() => loadConfig({ ...withoutConnectionString, AZURE_STORAGE_ACCOUNT_NAME: 'spcstore' }), /AZURE_STORAGE_ACCOUNT_KEY: must be set together with AZURE_STORAGE_ACCOUNT_NAME/);
  });
});

describe('loadStackSettings', () => {
  it('rejects a port out of range naming the variable', () => {
    assert.throws(() => loadStackSettings({ SPC_AZURITE_PORT: '70000' }), /SPC_AZURITE_PORT: must be 1\.\.65535/);
    assert.throws(() => loadStackSettings({ SPC_BATCH_PORT: 'ten' }), /SPC_BATCH_PORT/);
  });
});
