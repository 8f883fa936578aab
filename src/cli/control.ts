import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { cancelSignal, pauseSignal, resumeSignal, scalePoolUpdate } from '../workflows/messages';
import { ScaleRequestSchema } from '../schemas/control';
import { formatIssues } from '../schemas/issues';
import type { RunProgress } from '../schemas/progress';
import { progressQuery } from '../workflows/messages';
import { CliError, ExitCode, notFound, print, withClient } from './common';

async function runningHandle(client: Client, runId: string) {
  const handle = client.workflow.getHandle(runId);
  const { status } = await handle.describe().catch((err: unknown) => notFound(err, `run ${runId}`));
  if (status.name !== 'RUNNING') throw new CliError(`run ${runId} has already ended (${status.name.toLowerCase()})`, ExitCode.usage);
  return handle;
}

/** Signals pause/resume/cancel, then reads back the progress so the user sees what changed. */
function registerSignal(program: Command, name: 'pause' | 'resume' | 'cancel', description: string, example: string): void {
  const signal = { pause: pauseSignal, resume: resumeSignal, cancel: cancelSignal }[name];
  program
    .command(name)
    .argument('<runId>', 'the run id')
    .description(description)
    .option('--reason <text>', 'why, recorded in the run audit trail')
    .option('--json', 'print the run status after the signal as JSON')
    .addHelpText('after', `\nExample:\n  ${example}`)
    .action(async (runId: string, options: { reason?: string; json?: boolean }) => {
      await withClient(async (client) => {
        const handle = await runningHandle(client, runId);
        const before = (await handle.query(progressQuery)) as RunProgress;
        await handle.signal(signal, options.reason ? { reason: options.reason } : {});
        // A query after a signal sees it: Temporal applies signals before answering later queries.
        const after = (await handle.query(progressQuery).catch(() => before)) as RunProgress;
        print(options.json, { runId, signal: name, before: before.status, after: after.status }, (r) =>
          console.log(`run ${r.runId}: ${name} sent; status ${r.before} -> ${r.after}${options.reason ? ` (reason: ${options.reason})` : ''}`),
        );
      });
    });
}

export function registerControl(program: Command): void {
  registerSignal(program, 'pause', 'stop submitting LADs; running Batch tasks finish (the job is disabled with "wait")', 'spc pause spc-20261128-020000 --reason "quota review"');
  registerSignal(program, 'resume', 'resume a paused run', 'spc resume spc-20261128-020000');
  registerSignal(program, 'cancel', 'cancel a run: terminate its Batch job, clean up per its policy; outputs already written stay', 'spc cancel spc-20261128-020000 --reason "wrong inputs"');

  program
    .command('scale')
    .argument('<runId>', 'the run id')
    .argument('<nodes>', 'target dedicated nodes')
    .description("resize the run's pool; waits for the run to accept the new target and prints it")
    .option('--low-priority <n>', 'target low-priority (Spot) nodes')
    .option('--reason <text>', 'why, recorded in the run audit trail')
    .option('--json', 'print the new pool target as JSON')
    .addHelpText('after', '\nExample:\n  spc scale spc-20261128-020000 8 --low-priority 4 --reason "more quota"')
    .action(async (runId: string, nodes: string, options: { lowPriority?: string; reason?: string; json?: boolean }) => {
      const request = ScaleRequestSchema.safeParse({
        dedicatedNodes: Number(nodes),
        ...(options.lowPriority !== undefined && { lowPriorityNodes: Number(options.lowPriority) }),
        ...(options.reason && { reason: options.reason }),
      });
      if (!request.success) throw new CliError(formatIssues(request.error), ExitCode.usage);
      await withClient(async (client) => {
        const handle = await runningHandle(client, runId);
        const before = ((await handle.query(progressQuery)) as RunProgress).pool;
        const target = await handle.executeUpdate(scalePoolUpdate, { args: [request.data] });
        print(options.json, target, (t) =>
          console.log(
            `run ${runId}: pool ${t.id} ${before ? `${before.targetDedicated}+${before.targetLowPriority}` : '?'} -> ${t.targetDedicated} dedicated + ${t.targetLowPriority} low-priority nodes`,
          ),
        );
      });
    });
}
