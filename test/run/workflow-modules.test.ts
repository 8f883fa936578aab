/**
 * Worker memory: the worker evaluates the workflow bundle's module graph once for every cached workflow (the SDK's
 * reusable V8 context gives each workflow its own module cache), so what that graph holds is paid per cached ladRun,
 * thousands of times. This loads the very bundle the worker runs into a V8 context, as the SDK does, and looks at
 * which modules one workflow's load evaluates: none of zod, and the schemas loaded on first use
 * (src/workflows/lazy-schemas.ts) are in the bundle and work. No server.
 */
import assert from 'node:assert/strict';
import * as vm from 'node:vm';
import { before, describe, it } from 'node:test';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { bundleWorkflowCode } from '@temporalio/worker';
import { SPC_WORKFLOWS_PATH } from '../../src/plugin';
import { createSpcTracing } from '../../src/tracing';
import { quietBundler, workflowBundle } from '../helpers/run-env';

const ZOD = /[\\/]node_modules[\\/]zod[\\/]/;

type LazySchemas = typeof import('../../src/workflows/lazy-schemas');

interface ModuleRecord {
  exports: unknown;
}

interface LoadedBundle {
  cache: Record<string, ModuleRecord>;
  /** Modules each workflow evaluates for itself (its workflows and its interceptors). */
  perWorkflow: string[];
  workflows: string[];
}

/** Loads a bundle into a V8 context as the SDK does and creates one workflow's modules, with `globals` set. */
function loadBundle(code: string, globals: object = {}): LoadedBundle {
  // The bundle keeps its module cache in this global (the SDK injects a per-workflow one in the same place).
  const cache: Record<string, ModuleRecord> = {};
  const context = vm.createContext({ ...globals });
  Object.defineProperty(context, '__webpack_module_cache__', { value: cache });
  vm.runInContext(code, context);
  // What the bundle evaluated so far is shared by all workflows of the context; what importWorkflows and
  // importInterceptors add is what each workflow evaluates for itself when it is created.
  const shared = new Set(Object.keys(cache));
  const workflows = Object.keys(vm.runInContext('__TEMPORAL__.importWorkflows()', context) as object);
  vm.runInContext('__TEMPORAL__.importInterceptors()', context);
  return { cache, workflows, perWorkflow: Object.keys(cache).filter((id) => !shared.has(id)) };
}

describe('modules a cached workflow evaluates', () => {
  let cache: Record<string, ModuleRecord>;
  let perWorkflow: string[];
  let workflows: string[];

  before(async () => {
    ({ cache, perWorkflow, workflows } = loadBundle((await workflowBundle()).code));
  });

  it('are our workflow modules and the SDK, without zod', () => {
    assert.deepEqual(workflows.sort(), ['ladRun', 'smokeWorkflow', 'spcReaper', 'spcRun']);
    assert.ok(perWorkflow.some((id) => id.endsWith('workflows/lad-run.js')), `lad-run among ${perWorkflow.length} modules`);
    assert.deepEqual(perWorkflow.filter((id) => ZOD.test(id)), [], 'no zod module is evaluated per workflow');
    // The schema modules built with zod: none may be reached at load, even through a zod-free re-export.
    const zodSchemas = perWorkflow.filter((id) => /schemas[\\/](run-input|run-state|lad|control|progress|summary|reaper|smoke)\.js$/.test(id));
    assert.deepEqual(zodSchemas, []);
  });

  it('load the zod schemas on first use, from the same bundle', () => {
    const lazy = Object.entries(cache).find(([id]) => id.endsWith('workflows/lazy-schemas.js'))?.[1];
    assert.ok(lazy, 'lazy-schemas is in the bundle');
    const { parseRunInput } = (lazy.exports as LazySchemas).runInputSchemas();
    assert.equal(parseRunInput({ lads: ['E06000001', 'nope'] }, 'wf').ok, false);
    assert.equal(parseRunInput({ lads: ['E06000001'] }, 'wf').ok, true);
    assert.ok(Object.keys(cache).some((id) => ZOD.test(id)), 'zod is loaded now, into the same module cache');
  });
});

describe('modules a cached workflow evaluates with tracing on', () => {
  it("are OpenTelemetry's workflow interceptors besides ours, still without zod", async () => {
    const tracing = createSpcTracing({ resource: new Resource({}), spanProcessor: new SimpleSpanProcessor(new InMemorySpanExporter()) });
    const { code } = await bundleWorkflowCode(tracing.configureBundler({ workflowsPath: SPC_WORKFLOWS_PATH, logger: quietBundler }));
    // OpenTelemetry's interceptor module sets `performance` only inside a real workflow context: stand in for it.
    const { perWorkflow } = loadBundle(code, { performance: { timeOrigin: 0, now: () => 0 } });
    assert.ok(perWorkflow.some((id) => /interceptors-opentelemetry[\\/]lib[\\/]workflow-interceptors\.js$/.test(id)), 'the OpenTelemetry workflow interceptors are loaded');
    assert.deepEqual(perWorkflow.filter((id) => ZOD.test(id)), [], 'no zod module is evaluated per workflow');
  });
});
