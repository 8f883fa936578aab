import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { Command } from 'commander';
import { progressQuery } from '../workflows/messages';
import type { RunProgress } from '../schemas/progress';
import type { RunSummary } from '../schemas/summary';
import { CliError, ExitCode, notFound, print, withClient } from './common';
import { exitCodeOf, followRun, printSummary } from './follow';
import { formatDuration, renderProgress } from './progress-bar';

/** A run's state: its live progress while it runs, its summary once it ended. */
export type RunState =
  | { runId: string; workflowStatus: 'RUNNING'; progress: RunProgress }
  | { runId: string; workflowStatus: string; summary?: RunSummary };

export async function getRunState(client: Client, runId: string): Promise<RunState> {
  const handle = client.workflow.getHandle(runId);
  const { status } = await handle.describe().catch((err: unknown) => notFound(err, `run ${runId}`));
  if (status.name === 'RUNNING') return { runId, workflowStatus: 'RUNNING', progress: (await handle.query(progressQuery)) as RunProgress };
  const summary = status.name === 'COMPLETED' ? ((await handle.result()) as RunSummary) : undefined;
  return { runId, workflowStatus: status.name, summary };
}

function printState(state: RunState): void {
  if ('progress' in state) {
    console.log(`run ${state.runId}`);
    console.log(`  ${renderProgress(state.progress)}`);
    for (const entry of state.progress.audit.slice(-5)) {
      console.log(`  ${entry.at} ${entry.action}${entry.detail ? ` ${entry.detail}` : ''}${entry.reason ? ` (${entry.reason})` : ''}`);
    }
  } else if (state.summary) printSummary(state.summary);
  else console.log(`run ${state.runId}: workflow ${state.workflowStatus.toLowerCase()} without a summary`);
}

/** Recent runs, newest first, from Temporal visibility (search attribute SpcRunId is set on every run). */
export async function listRuns(client: Client, limit: number): Promise<WorkflowExecutionInfo[]> {
  const runs: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowType = 'spcRun'` })) {
    runs.push(info);
    if (runs.length >= limit) break;
  }
  return runs;
}

function attribute(info: WorkflowExecutionInfo, name: string): string {
  const value = info.searchAttributes?.[name] as unknown[] | undefined;
  return value?.length ? String(value[0]) : '';
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .argument('<runId>', 'the run id (its workflow id)')
    .description("show a run's progress while it runs, or its summary once it ended")
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  spc status spc-20261128-020000 --json')
    .action(async (runId: string, options: { json?: boolean }) => {
      process.exitCode = await withClient(async (client) => {
        const state = await getRunState(client, runId);
        print(options.json, state, printState);
        return 'summary' in state && state.summary ? exitCodeOf(state.summary) : ExitCode.ok;
      });
    });

  program
    .command('runs')
    .description('list recent runs, newest first')
    .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 20)
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  spc runs --limit 5')
    .action(async (options: { limit: number; json?: boolean }) => {
      if (!Number.isInteger(options.limit) || options.limit < 1) throw new CliError('--limit must be a positive integer', ExitCode.usage);
      await withClient(async (client) => {
        const runs = await listRuns(client, options.limit);
        const rows = runs.map((info) => ({
          runId: info.workflowId,
          workflowStatus: info.status.name,
          status: attribute(info, 'SpcStatus'),
          lads: attribute(info, 'SpcLadCount'),
          startTime: info.startTime.toISOString(),
          duration: info.closeTime ? formatDuration(info.closeTime.getTime() - info.startTime.getTime()) : '',
        }));
        print(options.json, rows, () => {
          if (rows.length === 0) console.log('no runs yet');
          for (const r of rows) console.log(`${r.runId.padEnd(28)} ${(r.status || r.workflowStatus.toLowerCase()).padEnd(24)} ${String(r.lads).padStart(5)} LADs  ${r.startTime}  ${r.duration}`);
        });
      });
    });

  program
    .command('watch')
    .argument('<runId>', 'the run id')
    .description('follow a running run with a live progress bar until it ends (Ctrl-C stops watching, not the run)')
    .option('--json', 'print the final summary as JSON')
    .addHelpText('after', '\nExample:\n  spc watch spc-20261128-020000')
    .action(async (runId: string, options: { json?: boolean }) => {
      process.exitCode = await withClient(async (client) => {
        const handle = client.workflow.getHandle(runId);
        await handle.describe().catch((err: unknown) => notFound(err, `run ${runId}`));
        process.once('SIGINT', () => process.exit(ExitCode.ok));
        const summary = await followRun(handle, options.json ? (process.stderr as NodeJS.WriteStream) : process.stdout);
        print(options.json, summary, printSummary);
        return exitCodeOf(summary);
      });
    });
}
