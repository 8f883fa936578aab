/**
 * SpcPlugin composes with a worker's own settings (pure: the options the plugin hands Worker.create; the end-to-end
 * proof on a real worker is own-worker.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ActivityInterceptorsFactory, WorkerOptions } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { SPC_WORKFLOWS_PATH, SpcPlugin } from '../../src/plugin';
import { createSpcTracing } from '../../src/tracing';

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
    assert.equal(plugin.configureWorker(teamOptions()).maxCachedWorkflows, 400);
    assert.equal(plugin.configureWorker(teamOptions({ maxCachedWorkflows: 50 })).maxCachedWorkflows, 50);
    const small = new SpcPlugin({ config: { ...config, SPC_MAX_CACHED_WORKFLOWS: '300' } });
    try {
      assert.equal(small.configureWorker(teamOptions()).maxCachedWorkflows, 300);
    } finally {
      small.bundle.close();
    }
  });

  it("adds tracing's interceptors and workflow span sink to the worker's own, and nothing without tracing", () => {
    const tracing = createSpcTracing({ resource: new Resource({}), spanProcessor: new SimpleSpanProcessor(new InMemorySpanExporter()) });
    const traced = new SpcPlugin({ config, tracing });
    try {
      const teamInterceptor: ActivityInterceptorsFactory = () => ({});
      const sinks = { team: { log: { fn: () => undefined } } };
      const own = { activity: [teamInterceptor], workflowModules: ['/team/interceptors.js'] };
      const configured = traced.configureWorker(teamOptions({ interceptors: own, sinks }));
      // The team's first, then OpenTelemetry's (its span), then ours (labels that span).
      assert.equal(configured.interceptors?.activity?.length, 3);
      assert.equal(configured.interceptors?.activity?.[0], teamInterceptor);
      assert.equal(configured.interceptors?.workflowModules?.[0], '/team/interceptors.js');
      const otelModule = configured.interceptors?.workflowModules?.[1];
      assert.match(otelModule ?? '', /interceptors-opentelemetry[\\/]lib[\\/]workflow-interceptors/);
      assert.deepEqual(Object.keys(configured.sinks ?? {}).sort(), ['exporter', 'team']);
      assert.equal(configured.sinks?.team, sinks.team);
      // A prebuilt bundle carries the workflow interceptors itself: the bundler gets them, the worker does not.
      assert.deepEqual(traced.configureBundler({ workflowsPath: SPC_WORKFLOWS_PATH }).workflowInterceptorModules, [otelModule]);
      assert.deepEqual(traced.configureWorker(teamOptions({ workflowBundle: { code: '' } })).interceptors?.workflowModules, undefined);
      assert.ok(traced.configureReplayWorker({}).sinks?.exporter, 'replays get the sink (sinks are not called for replayed activations)');

      const untraced = plugin.configureWorker(teamOptions({ interceptors: own, sinks }));
      assert.deepEqual(untraced.interceptors, own);
      assert.equal(untraced.sinks, sinks);
      assert.equal(plugin.configureBundler({ workflowsPath: SPC_WORKFLOWS_PATH }).workflowInterceptorModules, undefined);
    } finally {
      traced.bundle.close();
    }
  });
});
