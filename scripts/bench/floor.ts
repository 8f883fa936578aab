/**
 * The orchestration floor of a benchmark: how long the Temporal server and one worker take to run `count` bare
 * workflows (one no-op activity each) with at most `window` in flight, started from the client. No run can finish
 * `count` LADs faster than this on the same machine, whatever the pool.
 */
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';

export async function measureOrchestrationFloor(client: Client, address: string, namespace: string, count: number, window: number): Promise<number> {
  const taskQueue = `bench-floor-${Date.now().toString(36)}`;
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowsPath: require.resolve('./bare-workflows'),
    activities: { noop: async () => undefined },
  });
  const running = worker.run();
  try {
    const started = Date.now();
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < count; i = next++) {
        await client.workflow.execute('bareLad', { taskQueue, workflowId: `${taskQueue}-${i}` });
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, count) }, lane));
    return Date.now() - started;
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
  }
}
