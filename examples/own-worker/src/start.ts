/**
 * Starts both workflows through the client API, waits for both and prints their results as one JSON line:
 * `node dist/start.js <workflow id prefix>`.
 */
import { connectClient, loadConfig, startSpcRun } from 'spc-temporal';
import type { RawRunInput, RunSummary } from 'spc-temporal/schemas';
import type { greet } from './workflows';

/** One LAD with the offline stand-in recipe, small and quick. */
const input: RawRunInput = {
  lads: ['E06000001'],
  recipe: { name: 'spenser-sim', options: { durationMs: 300, scale: 0.01 } },
  pool: { dedicatedNodes: 1 },
};

async function run(prefix: string): Promise<void> {
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    const taskQueue = config.SPC_TASK_QUEUE;
    const spc = await startSpcRun(client, input, { workflowId: `${prefix}-spc`, taskQueue });
    const greeting = await client.workflow.execute<typeof greet>('greet', { workflowId: `${prefix}-greet`, taskQueue, args: ['team'] });
    const summary: RunSummary = await spc.result();
    console.log(JSON.stringify({ greeting, spcStatus: summary.status }));
  } finally {
    await client.connection.close();
  }
}

run(process.argv[2] ?? `own-${Date.now()}`).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
