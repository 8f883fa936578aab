import * as path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { exitCodeOf, followRun, printSummary } from './cli/follow';
import { buildRunInput, runMetadata } from './cli/run';
import { createBlobServiceClient } from './azure/clients';
import { connectClient, defaultRunId, startSpcRun } from './client';
import { loadConfig, loadStackSettings, temporalConnectionOptions } from './config';
import { installQuietRuntime } from './runtime';
import { createSpcWorker } from './plugin';
import { containerOf } from './schemas/names';
import { StackError } from './stack/errors';
import { stackUp } from './stack/stack';
import { downloadRunOutputs, readManifest } from './storage/download';

/** Five LADs from three nations, so collation fills England, Wales and Scotland. */
const DEMO_LADS = ['E06000001', 'E06000002', 'E07000041', 'W06000011', 'S12000033'];

/**
 * The README's main job on the embedded default: bring the local stack up (Temporal, Azurite, the local Batch
 * service), run a worker in this process, run spcRun over five LADs with the offline `spenser-sim` recipe while
 * showing progress, print the summary and download the verified outputs to ./output/<runId>/<LAD>/.
 */
async function run(): Promise<number> {
  installQuietRuntime();
  await stackUp(loadStackSettings());
  const config = loadConfig();
  const runId = defaultRunId();
  const input = buildRunInput(
    { lads: DEMO_LADS.join(','), runId },
    { recipe: { name: 'spenser-sim', options: { durationMs: 4000 } }, pool: { dedicatedNodes: 3 } },
  );

  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const client = await connectClient(config);
  try {
    const worker = await createSpcWorker(connection, config);
    const summary = await worker.runUntil(async () => {
      const handle = await startSpcRun(client, input, { taskQueue: config.SPC_TASK_QUEUE, ...runMetadata(input) });
      const { SPC_TEMPORAL_UI_PORT } = loadStackSettings();
      console.log(`run ${runId} started; Web UI: http://127.0.0.1:${SPC_TEMPORAL_UI_PORT}/namespaces/default/workflows/${runId}`);
      return followRun(handle);
    });
    printSummary(summary);
    const container = createBlobServiceClient(config).getContainerClient(summary.container ?? containerOf(runId));
    const toDir = path.resolve('output', runId);
    const report = await downloadRunOutputs(container, await readManifest(container), { toDir });
    console.log(`outputs: ${report.downloaded.length + report.skipped.length} files verified and saved under ${toDir}`);
    if (report.failed.length) console.log(`  ${report.failed.length} file(s) failed verification: ${report.failed.map((f) => f.file).join(', ')}`);
    return report.failed.length ? 1 : exitCodeOf(summary);
  } finally {
    await client.connection.close();
    await connection.close();
  }
}

run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof StackError || err instanceof RangeError ? err.message : err);
    process.exit(1);
  },
);
