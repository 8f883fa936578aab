/**
 * A real TLS and mTLS connection configured the way every Temporal tool is: a temporal.toml profile with the
 * server's CA and a client certificate. The dev server we build (CLI v1.5.1) cannot serve TLS itself, so a TLS
 * terminator (Node's tls, ALPN h2, client certificates required) stands in front of the stack's plaintext frontend.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { connectClient } from '../../src/client';
import { loadConfig, loadStackSettings } from '../../src/config';
import { spc } from '../helpers/cli';
import { ensureStack } from '../helpers/stack';

const run = promisify(execFile);

/** A CA, a server certificate for localhost/127.0.0.1 and a client certificate, all signed by the CA. */
async function makeCertificates(dir: string): Promise<void> {
  const openssl = (args: string[]) => run('openssl', args, { cwd: dir });
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=spc-test-ca']);
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const name of ['server', 'client']) {
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=spc-test-${name}`]);
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`]);
  }
}

describe('Temporal over TLS and mTLS from a temporal.toml profile', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'spc-tls-'));
  let terminator: tls.Server;
  let env: NodeJS.ProcessEnv;
  const handshakes: boolean[] = [];

  before(async () => {
    await ensureStack();
    await makeCertificates(dir);
    const read = (name: string) => readFileSync(path.join(dir, name));
    const frontend = loadStackSettings().SPC_TEMPORAL_PORT;
    terminator = tls.createServer(
      { key: read('server.key'), cert: read('server.pem'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] },
      (socket) => {
        handshakes.push(socket.authorized);
        const upstream = net.connect(frontend, '127.0.0.1');
        socket.pipe(upstream).pipe(socket);
        const close = () => (socket.destroy(), upstream.destroy());
        socket.on('error', close);
        upstream.on('error', close);
      },
    );
    terminator.listen(0, '127.0.0.1');
    await once(terminator, 'listening');
    const { port } = terminator.address() as net.AddressInfo;
    const profile = (name: string, withClientCertificate: boolean) =>
      [
        `[profile.${name}]`,
        `address = "127.0.0.1:${port}"`,
        `[profile.${name}.tls]`,
        `server_ca_cert_path = "${path.join(dir, 'ca.pem')}"`,
        'server_name = "localhost"',
        ...(withClientCertificate ? [`client_cert_path = "${path.join(dir, 'client.pem')}"`, `client_key_path = "${path.join(dir, 'client.key')}"`] : []),
      ].join('\n');
    writeFileSync(path.join(dir, 'temporal.toml'), `${profile('secure', true)}\n\n${profile('nocert', false)}\n`);
    env = { ...process.env, TEMPORAL_CONFIG_FILE: path.join(dir, 'temporal.toml'), TEMPORAL_PROFILE: 'secure' };
    delete env.SPC_TEMPORAL_ADDRESS;
    delete env.TEMPORAL_ADDRESS;
  });

  after(() => {
    terminator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects the client API with the profile’s CA and client certificate', async () => {
    const client = await connectClient(loadConfig(env), env);
    try {
      const info = await client.workflowService.getSystemInfo({});
      assert.ok(info.serverVersion, 'no server version through the TLS connection');
    } finally {
      await client.connection.close();
    }
    assert.ok(handshakes.includes(true), 'no handshake with an authorized client certificate');
  });

  it('spc doctor reports the profile and TLS, and reaches Temporal through it', async () => {
    const result = await spc(loadConfig(), ['doctor'], { ...env, SPC_TEMPORAL_ADDRESS: undefined, SPC_TEMPORAL_NAMESPACE: undefined });
    assert.match(result.stdout, new RegExp(`ok {3}connection +profile "secure" of ${path.join(dir, 'temporal.toml').replace(/[.]/g, '\\.')}, TLS on \\(client certificate\\)`));
    assert.match(result.stdout, /ok {3}temporal +127\.0\.0\.1:\d+, server /);
  });

  it('fails to connect without a client certificate (the terminator requires one)', async () => {
    const noCert = { ...env, TEMPORAL_PROFILE: 'nocert' };
    await assert.rejects(async () => {
      const client = await connectClient(loadConfig(noCert), noCert);
      try {
        await client.workflowService.getSystemInfo({});
      } finally {
        await client.connection.close();
      }
    });
  });
});
