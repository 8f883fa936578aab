/**
 * `node dist/src/bundle/cli.js <workflowsPath> <out>`: writes the workflow bundle of `workflowsPath` to `out`.
 * Run by bundleWorkflowsApart (apart.ts) as a child process; its webpack memory ends with it.
 */
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';

async function main(): Promise<void> {
  const [workflowsPath, out] = process.argv.slice(2);
  if (!workflowsPath || !out) throw new RangeError('usage: cli.js <workflowsPath> <out>');
  // Warnings and errors only: the parent reports a failure with this process's stderr.
  const logger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: (m: string) => console.error(m), error: (m: string) => console.error(m) };
  const { code } = await bundleWorkflowCode({ workflowsPath, logger });
  await writeFile(out, code);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
