import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadStackSettings } from '../../src/config';
import { StackError } from '../../src/stack/errors';
import { SEARCH_ATTRIBUTES } from '../../src/stack/services';
import { stackDown, stackStatus, stackUp } from '../../src/stack/stack';
import { connectClient } from '../../src/client';
import { ensureStack } from '../helpers/stack';

describe('the shared local stack', () => {
  before(ensureStack);

  it('reports every service up, with its address', async () => {
    const statuses = await stackStatus(loadStackSettings());
    assert.deepEqual(
      statuses.map((s) => [s.name, s.state]),
      statuses.map((s) => [s.name, 'up']),
    );
    assert.ok(statuses.every((s) => /127\.0\.0\.1:\d+/.test(s.address) && typeof s.pid === 'number'));
  });

  it('is idempotent: a second up reuses the running services', async () => {
    const before = await stackStatus(loadStackSettings());
    const lines: string[] = [];
    await stackUp(loadStackSettings(), (line) => lines.push(line));
    const after = await stackStatus(loadStackSettings());
    assert.deepEqual(after.map((s) => s.pid), before.map((s) => s.pid));
    assert.ok(!lines.some((line) => line.includes('started')), lines.join('\n'));
  });

  it('has registered the custom search attributes with their types', async () => {
    const client = await ensureStack().then(connectClient);
    try {
      const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) assert.equal(customAttributes?.[name], type, name);
    } finally {
      await client.connection.close();
    }
  });
});

describe('a stack whose port is taken', () => {
  let squatter: Server;
  let port: number;
  before(async () => {
    squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    port = (squatter.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => squatter.close(() => resolve())));

  const settings = () =>
    loadStackSettings({ SPC_STACK_DIR: mkdtempSync(path.join(tmpdir(), 'spc-stack-')), SPC_TEMPORAL_PORT: String(port) });

  it('fails with one line naming the port and the variable to change', async () => {
    await assert.rejects(stackUp(settings(), () => undefined), (err: Error) => {
      assert.ok(err instanceof StackError);
      assert.match(err.message, new RegExp(`port ${port} for temporal is taken .*set SPC_TEMPORAL_PORT`));
      assert.equal(err.message.split('\n').length, 1);
      return true;
    });
  });

  it('down never stops a process the stack did not start', async () => {
    const lines: string[] = [];
    await stackDown(settings(), (line) => lines.push(line));
    assert.ok(lines.every((line) => line.endsWith('was not running')), lines.join('\n'));
    assert.ok(squatter.listening);
  });
});
