/**
 * OpenTelemetry tracing on the real stack: a worker with `SpcPlugin({ tracing })` and a client with
 * `connectClient(..., { tracing })`, spans collected by OpenTelemetry's own in-memory exporter behind the tracer
 * provider the process registers (as a team's NodeSDK would).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import type { Client } from '@temporalio/client';
import { connectClient, startSpcRun } from '../../src/client';
import { createSpcTracing, SPC_LAD_ATTR, SPC_RUN_ID_ATTR, spcSpanAttributes } from '../../src/tracing';
import { startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

describe('tracing: spans of a run, from the client start to the Batch activities', () => {
  const exporter = new InMemorySpanExporter();
  const spanProcessor = new SimpleSpanProcessor(exporter);
  const resource = new Resource({ 'service.name': 'spc-tracing-test' });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  const tracing = createSpcTracing({ resource, spanProcessor });
  let env: RunEnv;
  let client: Client;
  before(async () => {
    env = await startRunEnv();
    client = await connectClient(env.config, process.env, { tracing });
    await env.startWorker({}, { tracing });
  });
  after(async () => {
    await client?.connection.close();
    await env?.close();
    await provider.shutdown();
  });

  it('links the run workflow, its LAD workflows and their activities to the client start, with run id and LAD on activity spans', async () => {
    const lads = ['E06000001', 'E06000002'];
    const runId = uniqueId('traced');
    const summary = await (await startSpcRun(client, testInput(lads, { pool: { dedicatedNodes: 2 } }), { workflowId: runId, taskQueue: env.taskQueue })).result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    // Workflow spans reach the processor through the worker's sink before each workflow task completes, and activity
    // spans end before the activity reports: all are in by the time the result is.
    await spanProcessor.forceFlush();
    const spans = exporter.getFinishedSpans();
    const named = (name: string) => spans.filter((s) => s.name === name);

    const [start] = named('StartWorkflow:spcRun');
    assert.ok(start, `a client start span among ${[...new Set(spans.map((s) => s.name))].join(', ')}`);
    const inTrace = spans.filter((s) => s.spanContext().traceId === start.spanContext().traceId);
    const names = (list: ReadableSpan[]) => list.map((s) => s.name);
    assert.equal(names(inTrace).filter((n) => n === 'RunWorkflow:spcRun').length, 1, 'the run workflow in the client trace');
    assert.equal(names(inTrace).filter((n) => n === 'RunWorkflow:ladRun').length, 2, 'each LAD workflow in the client trace');

    const awaiting = inTrace.filter((s) => s.name === 'RunActivity:awaitLadTask');
    assert.deepEqual(awaiting.map((s) => s.attributes[SPC_LAD_ATTR]).sort(), lads, 'one Batch task activity per LAD, labelled with it');
    const prepare = inTrace.filter((s) => s.name === 'RunActivity:prepareRun');
    assert.equal(prepare.length, 1, 'the activity that creates the Batch job');
    for (const span of [...awaiting, ...prepare]) assert.equal(span.attributes[SPC_RUN_ID_ATTR], summary.runId, `${span.name} carries the run id`);
    assert.equal(prepare[0].attributes[SPC_LAD_ATTR], undefined, 'a run-wide activity names no LAD');
    assert.ok(spans.every((s) => s.resource.attributes['service.name'] === 'spc-tracing-test'), 'workflow spans carry the worker resource too');
  });
});

describe('spcSpanAttributes', () => {
  it('takes run id and LAD from the input, else from the workflow id', () => {
    assert.deepEqual(spcSpanAttributes({ workflowType: 'ladRun', workflowId: 'r1/E06000001' }, [{ runId: 'r1', lad: 'E06000001' }]), { [SPC_RUN_ID_ATTR]: 'r1', [SPC_LAD_ATTR]: 'E06000001' });
    assert.deepEqual(spcSpanAttributes({ workflowType: 'ladRun', workflowId: 'nightly/2026/E06000002' }, [{ container: 'c' }]), { [SPC_RUN_ID_ATTR]: 'nightly/2026', [SPC_LAD_ATTR]: 'E06000002' });
    assert.deepEqual(spcSpanAttributes({ workflowType: 'spcRun', workflowId: 'team run 1' }, [{}]), { [SPC_RUN_ID_ATTR]: 'team-run-1' });
    assert.deepEqual(spcSpanAttributes({ workflowType: 'greet', workflowId: 'g' }, ['x']), {});
    assert.deepEqual(spcSpanAttributes({}, []), {});
  });
});
