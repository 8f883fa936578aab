/**
 * SpcPlugin composes with a worker's own settings (pure: the options the plugin hands Worker.create; the end-to-end
 * proof on a real worker is own-worker.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { WorkerOptions } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { SPC_WORKFLOWS_PATH, SpcPlugin } from '../../src/plugin';

const config = loadConfig({
  SPC_STACK_DIR: mkdtempSync(path.join(tmpdir(), 'spc-plugin-')),
  AZURE_STORAGE_CONNECTION_STRING: 'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net',
  AZURE_BATCH_URL: 'https://acct.uksouth.batch.azure.com',
  AZURE_BATCH_ACCOUNT: 'acct',
  AZURE_BATCH_KEY: 'a2V5a2V5',
});

describe('SpcPlugin on a worker with settings of its own', () => {
  const plugin = new SpcPlugin({ config });
  after(() => plugin.bundle.close());
  const composeGreeting = async (name: string) => `hello, ${name}`;
  const teamOptions = (extra: Partial<WorkerOptions> = {}): WorkerOptions => ({ taskQueue: 'team', activities: { composeGreeting }, ...extra });

  it("keeps the worker's workflowsPath, activities and interceptors, and adds its activities", () => {
    const interceptors = { workflowModules: ['/team/interceptors.js'] };
    const configured = plugin.configureWorker(teamOptions({ workflowsPath: '/team/workflows.js', interceptors }));
    assert.equal(configured.workflowsPath, '/team/workflows.js');
    assert.deepEqual(configured.interceptors?.workflowModules, ['/team/interceptors.js']);
    const names = Object.keys(configured.activities ?? {});
    assert.ok(names.includes('composeGreeting'));
    for (const ours of Object.keys(plugin.bundle.activities)) assert.ok(names.includes(ours), `${ours} not registered`);
  });

  it('registers its workflows only on a worker without any', () => {
    assert.equal(plugin.configureWorker(teamOptions()).workflowsPath, SPC_WORKFLOWS_PATH);
    const bundle = { code: '' };
    const configured = plugin.configureWorker(teamOptions({ workflowBundle: bundle }));
    assert.equal(configured.workflowsPath, undefined);
    assert.equal(configured.workflowBundle, bundle);
    assert.equal(plugin.configureReplayWorker({ workflowsPath: '/team/workflows.js' }).workflowsPath, '/team/workflows.js');
    assert.equal(plugin.configureReplayWorker({}).workflowsPath, SPC_WORKFLOWS_PATH);
    assert.equal(plugin.configureBundler({ workflowsPath: '/team/workflows.js' }).workflowsPath, '/team/workflows.js');
  });

  it('refuses an activity of the worker that has the name of one of ours, naming it', () => {
    const [ours] = Object.keys(plugin.bundle.activities);
    assert.throws(
      () => plugin.configureWorker(teamOptions({ activities: { composeGreeting, [ours]: composeGreeting } })),
      (err: Error) => err instanceof TypeError && err.message.includes(`"${ours}"`),
    );
  });

  it("keeps the worker's own activity concurrency and otherwise raises the default for awaiting activities", () => {
    assert.equal(plugin.configureWorker(teamOptions({ maxConcurrentActivityTaskExecutions: 7 })).maxConcurrentActivityTaskExecutions, 7);
    assert.equal(plugin.configureWorker(teamOptions()).maxConcurrentActivityTaskExecutions, 2000);
  });

  it("sizes the workflow cache for a run's LADs in flight unless the worker or the config says otherwise", () => {
    assert.equal(plugin.configureWorker(teamOptions()).maxCachedWorkflows, 1200);
    assert.equal(plugin.configureWorker(teamOptions({ maxCachedWorkflows: 50 })).maxCachedWorkflows, 50);
    const small = new SpcPlugin({ config: { ...config, SPC_MAX_CACHED_WORKFLOWS: '300' } });
    try {
      assert.equal(small.configureWorker(teamOptions()).maxCachedWorkflows, 300);
    } finally {
      small.bundle.close();
    }
  });
});
