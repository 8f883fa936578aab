/**
 * The Temporal connection as every Temporal tool resolves it: temporal.toml profiles, TEMPORAL_* over them, our
 * SPC_TEMPORAL_* aliases, the local stack last (pure: a temp temporal.toml, no server). The dev server we build
 * (CLI v1.5.1) has no TLS flags; tls.test.ts in test/package checks a real TLS connection.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, loadTemporal, temporalConnectionOptions } from '../../src/config';
import { describeConnection } from '../../src/doctor/checks';

const dir = mkdtempSync(path.join(tmpdir(), 'spc-temporal-toml-'));
const file = (name: string, text: string) => {
  writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};
const certFile = file('client.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const keyFile = file('client.key', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
const toml = file(
  'temporal.toml',
  `[profile.default]
address = "temporal.team.internal:7233"
namespace = "team"

[profile.cloud]
address = "team.a1b2c.tmprl.cloud:7233"
namespace = "team.a1b2c"
api_key = "not-a-real-key"

[profile.mtls]
address = "secure.team.internal:7233"
namespace = "secure"
[profile.mtls.tls]
client_cert_path = "${certFile}"
client_key_path = "${keyFile}"
server_name = "secure.team.internal"
`,
);
const base = { SPC_STACK_DIR: dir, SPC_TEMPORAL_PORT: '17233', TEMPORAL_CONFIG_FILE: toml };
const stackOnly = { SPC_STACK_DIR: dir, SPC_TEMPORAL_PORT: '17233', TEMPORAL_CONFIG_FILE: path.join(dir, 'none.toml') };

describe('Temporal connection settings', () => {
  it('falls back to the local stack, plaintext, when no profile or variable names a server', () => {
    const temporal = loadTemporal(stackOnly);
    assert.deepEqual(
      { address: temporal.address, namespace: temporal.namespace, profile: temporal.profile, tls: temporal.tls },
      { address: '127.0.0.1:17233', namespace: 'default', profile: undefined, tls: false },
    );
    assert.deepEqual(temporal.connectionOptions, { address: '127.0.0.1:17233' });
    assert.match(describeConnection(temporal), /^no temporal\.toml profile .*none\.toml.*, TLS off$/);
  });

  it('reads the default profile of temporal.toml, and loadConfig takes its address and namespace', () => {
    const temporal = loadTemporal(base);
    assert.equal(temporal.profile, 'default');
    const config = loadConfig({ ...base, AZURE_STORAGE_CONNECTION_STRING: 'AccountName=a;AccountKey=a2V5', AZURE_BATCH_KEY: 'a2V5' });
    assert.equal(config.SPC_TEMPORAL_ADDRESS, 'temporal.team.internal:7233');
    assert.equal(config.SPC_TEMPORAL_NAMESPACE, 'team');
  });

  it('turns TLS on for a profile with an API key, and hands the key to the connection only', () => {
    const temporal = loadTemporal({ ...base, TEMPORAL_PROFILE: 'cloud' });
    assert.deepEqual(
      { address: temporal.address, namespace: temporal.namespace, tls: temporal.tls, apiKey: temporal.apiKey },
      { address: 'team.a1b2c.tmprl.cloud:7233', namespace: 'team.a1b2c', tls: true, apiKey: true },
    );
    assert.equal(temporal.connectionOptions.apiKey, 'not-a-real-key');
    assert.equal(temporal.connectionOptions.tls, true);
    assert.equal(describeConnection(temporal), `profile "cloud" of ${toml}, TLS on, API key`);
    assert.doesNotMatch(describeConnection(temporal), /not-a-real-key/);
  });

  it('presents a client certificate (mTLS) from the profile, with its server name', () => {
    const temporal = loadTemporal({ ...base, TEMPORAL_PROFILE: 'mtls' });
    assert.equal(temporal.clientCertificate, true);
    const tls = temporal.connectionOptions.tls;
    assert.ok(typeof tls === 'object');
    assert.equal(tls.serverNameOverride, 'secure.team.internal');
    assert.match(Buffer.from(tls.clientCertPair?.crt ?? []).toString('utf8'), /BEGIN CERTIFICATE/);
    assert.equal(describeConnection(temporal), `profile "mtls" of ${toml}, TLS on (client certificate)`);
  });

  it('lets TEMPORAL_* and the SPC_TEMPORAL_* aliases override the profile', () => {
    assert.equal(loadTemporal({ ...base, TEMPORAL_ADDRESS: 'other:7233' }).address, 'other:7233');
    assert.equal(loadTemporal({ ...base, SPC_TEMPORAL_ADDRESS: 'alias:7233', SPC_TEMPORAL_NAMESPACE: 'ns2' }).namespace, 'ns2');
    assert.equal(loadTemporal({ ...base, SPC_TEMPORAL_ADDRESS: 'same:7233', TEMPORAL_ADDRESS: 'same:7233' }).address, 'same:7233');
    assert.equal(loadTemporal({ ...base, TEMPORAL_TLS: 'true' }).tls, true);
    assert.deepEqual(temporalConnectionOptions({ SPC_TEMPORAL_ADDRESS: 'given:1' }, { ...base, TEMPORAL_PROFILE: 'cloud' }), {
      address: 'given:1',
      tls: true,
      apiKey: 'not-a-real-key',
    });
  });

  it('takes a file without profiles (empty, or /dev/null as `npm test` sets) as no profile', () => {
    for (const empty of [file('empty.toml', ''), '/dev/null']) {
      const temporal = loadTemporal({ ...base, TEMPORAL_CONFIG_FILE: empty });
      assert.deepEqual([temporal.address, temporal.profile], ['127.0.0.1:17233', undefined]);
    }
    assert.throws(() => loadTemporal({ ...base, TEMPORAL_CONFIG_FILE: '/dev/null', TEMPORAL_PROFILE: 'prod' }), /TEMPORAL_PROFILE: Profile 'prod' not found/);
  });

  const refused: [string, NodeJS.ProcessEnv, RegExp][] = [
    ['an alias that disagrees with the standard variable', { SPC_TEMPORAL_ADDRESS: 'a:1', TEMPORAL_ADDRESS: 'b:2' }, /SPC_TEMPORAL_ADDRESS: "a:1" disagrees with TEMPORAL_ADDRESS "b:2"/],
    ['a profile the file does not have', { TEMPORAL_PROFILE: 'staging' }, /TEMPORAL_PROFILE: Profile 'staging' not found/],
    ['a file that is not TOML', { TEMPORAL_CONFIG_FILE: file('bad.toml', '[profile.default\naddress=') }, /TEMPORAL_CONFIG_FILE: /],
  ];
  for (const [what, env, message] of refused) {
    it(`refuses ${what}, naming the variable`, () => {
      assert.throws(() => loadTemporal({ ...base, ...env }), (err: Error) => err instanceof RangeError && message.test(err.message));
    });
  }
});
