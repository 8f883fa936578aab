/**
 * OpenTelemetry tracing on the real stack: a worker with `SpcPlugin({ tracing })` and a client with
 * `connectClient(..., { tracing })`, spans collected by OpenTelemetry's own in-memory exporter behind the tracer
 * provider the process registers (as a team's NodeSDK would); and our worker process switched on by
 * `OTEL_EXPORTER_OTLP_ENDPOINT`, exporting by OTLP/HTTP (JSON) to a receiver of the test.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  it('links the run workflow, its LAD workflows and their activities to the client start, with run id and LAD on their spans', async () => {
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
    const [run, ...moreRuns] = inTrace.filter((s) => s.name === 'RunWorkflow:spcRun');
    assert.ok(run && moreRuns.length === 0, `the run workflow once in the client trace: ${names(inTrace).join(', ')}`);
    assert.equal(run.attributes[SPC_RUN_ID_ATTR], summary.runId);
    const ladWorkflows = inTrace.filter((s) => s.name === 'RunWorkflow:ladRun');
    assert.deepEqual(ladWorkflows.map((s) => [s.attributes[SPC_RUN_ID_ATTR], s.attributes[SPC_LAD_ATTR]]).sort(), lads.map((lad) => [summary.runId, lad]), 'each LAD workflow in the client trace, labelled');

    const awaiting = inTrace.filter((s) => s.name === 'RunActivity:awaitLadTask');
    assert.deepEqual(awaiting.map((s) => s.attributes[SPC_LAD_ATTR]).sort(), lads, 'one Batch task activity per LAD, labelled with it');
    const prepare = inTrace.filter((s) => s.name === 'RunActivity:prepareRun');
    assert.equal(prepare.length, 1, 'the activity that creates the Batch job');
    for (const span of [...awaiting, ...prepare]) assert.equal(span.attributes[SPC_RUN_ID_ATTR], summary.runId, `${span.name} carries the run id`);
    assert.equal(prepare[0].attributes[SPC_LAD_ATTR], undefined, 'a run-wide activity names no LAD');
    assert.ok(spans.every((s) => s.resource.attributes['service.name'] === 'spc-tracing-test'), 'workflow spans carry the worker resource too');
  });
});

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string };
}
interface OtlpSpan {
  name: string;
  traceId: string;
  attributes?: OtlpAttribute[];
}
interface OtlpRequest {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

const attribute = (attributes: OtlpAttribute[] | undefined, key: string) => attributes?.find((a) => a.key === key)?.value.stringValue;

describe('tracing in our worker: OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  const received: { service: string | undefined; span: OtlpSpan }[] = [];
  let receiver: Server;
  let env: RunEnv;
  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          for (const { resource, scopeSpans } of (JSON.parse(body) as OtlpRequest).resourceSpans) {
            for (const { spans } of scopeSpans) for (const span of spans) received.push({ service: attribute(resource.attributes, 'service.name'), span });
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    env = await startRunEnv();
  });
  after(async () => {
    await env?.close();
    receiver?.close();
  });

  it('exports the run\'s workflow and activity spans, with run id and LAD, and flushes them when the worker stops', async () => {
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const worker = env.spawnWorker({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'spc-otlp-test' });
    const summary = await (await startSpcRun(env.client, testInput(['E06000001'], { pool: { dedicatedNodes: 1 } }), { workflowId: uniqueId('otlp'), taskQueue: env.taskQueue })).result();
    assert.equal(summary.status, 'completed', JSON.stringify(summary.failures));
    // Spans wait in the batch processor; a stopping worker exports what is left before it exits.
    worker.kill('SIGTERM');
    const [code] = (await once(worker, 'exit')) as [number | null];
    assert.equal(code, 0);

    const names = received.map((r) => r.span.name);
    for (const name of ['RunWorkflow:spcRun', 'RunWorkflow:ladRun', 'RunActivity:prepareRun', 'RunActivity:awaitLadTask']) assert.ok(names.includes(name), `${name} among ${[...new Set(names)].join(', ')}`);
    const awaiting = received.find((r) => r.span.name === 'RunActivity:awaitLadTask')!.span;
    assert.equal(attribute(awaiting.attributes, SPC_RUN_ID_ATTR), summary.runId);
    assert.equal(attribute(awaiting.attributes, SPC_LAD_ATTR), 'E06000001');
    const lad = received.find((r) => r.span.name === 'RunWorkflow:ladRun')!.span;
    assert.equal(attribute(lad.attributes, SPC_LAD_ATTR), 'E06000001', 'the LAD workflow span labelled too');
    const run = received.find((r) => r.span.name === 'RunWorkflow:spcRun')!.span;
    assert.equal(awaiting.traceId, run.traceId, 'the activity in the run\'s trace');
    assert.deepEqual([...new Set(received.map((r) => r.service))], ['spc-otlp-test']);
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
