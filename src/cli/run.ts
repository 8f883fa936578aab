import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { defaultRunId, startSpcRun } from '../client';
import { parseLadList } from '../outputs/lad-lists';
import { RunInputSchema, type RawRunInput } from '../schemas/run-input';
import { formatIssues } from '../schemas/issues';
import { CliError, ExitCode, print, withClient } from './common';
import { exitCodeOf, followRun, printSummary } from './follow';

export interface RunOptions {
  lads?: string;
  ladsFile?: string;
  input?: string;
  runId?: string;
  detach?: boolean;
  json?: boolean;
  taskQueue?: string;
}

/**
 * Builds the run input from the options over `base` (fields the caller fixes, e.g. the main job's recipe) and
 * validates the whole of it with the workflow's own schema.
 */
export function buildRunInput(options: RunOptions, base: Partial<RawRunInput> = {}): RawRunInput & { runId: string } {
  let raw: Record<string, unknown> = { ...base };
  if (options.input) {
    try {
      raw = { ...raw, ...(JSON.parse(readFileSync(options.input, 'utf8')) as Record<string, unknown>) };
    } catch (err) {
      throw new CliError(`--input ${options.input}: ${(err as Error).message}`, ExitCode.usage);
    }
  }
  if (options.lads) raw.lads = options.lads.split(',').map((lad) => lad.trim()).filter(Boolean);
  if (options.ladsFile) {
    try {
      raw.lads = parseLadList(readFileSync(options.ladsFile, 'utf8'), options.ladsFile);
    } catch (err) {
      throw new CliError(`--lads-file: ${(err as Error).message}`, ExitCode.usage);
    }
  }
  raw.runId = options.runId ?? raw.runId ?? defaultRunId();
  const parsed = RunInputSchema.safeParse(raw);
  if (!parsed.success) throw new CliError(`invalid run input:\n${formatIssues(parsed.error, 'input')}`, ExitCode.usage);
  return raw as RawRunInput & { runId: string };
}

/** The one-line summary and the details the Temporal Web UI shows on a run (user metadata; no secrets). */
export function runMetadata(input: RawRunInput): { staticSummary: string; staticDetails: string } {
  const lads = input.lads ? `${input.lads.length} LADs` : `LADs from ${input.ladsCsvBlob?.container}/${input.ladsCsvBlob?.blob}`;
  const recipe = input.recipe?.name ?? 'spenser-sim';
  const pool = input.pool?.id && input.pool.id !== 'create' ? `pool ${input.pool.id}` : 'a new pool';
  return {
    staticSummary: `SPC run: ${lads}, recipe ${recipe}, on ${pool}`,
    staticDetails: [
      `**LADs**: ${input.lads ? input.lads.slice(0, 20).join(', ') + (input.lads.length > 20 ? ', ...' : '') : lads}`,
      `**Recipe**: ${recipe}`,
      `**Started by**: spc CLI`,
      'Query `progress` for live counts; signals `pause`, `resume`, `cancel`; update `scalePool`.',
    ].join('\n\n'),
  };
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('validate a run input, start spcRun, and follow it with a live progress bar')
    .option('--lads <codes>', 'comma-separated LAD codes')
    .option('--lads-file <csv>', 'a CSV with a LAD20CD or "LAD code" column')
    .option('--input <json>', 'a JSON file with the whole run input (options override its fields)')
    .option('--run-id <id>', 'the run id, also the workflow id (default: spc-<date>-<time>)')
    .option('--task-queue <queue>', 'task queue of the workers (default: $SPC_TASK_QUEUE)')
    .option('--detach', 'return as soon as the run has started')
    .option('--json', 'print the start record or the final summary as JSON')
    .addHelpText('after', '\nExample:\n  spc run --lads E06000001,E06000002 --run-id nightly-test\n  spc run --lads-file lads.csv --detach')
    .action(async (options: RunOptions) => {
      const input = buildRunInput(options);
      process.exitCode = await withClient(async (client, config) => {
        const handle = await startSpcRun(client, input, { taskQueue: options.taskQueue ?? config.SPC_TASK_QUEUE, ...runMetadata(input) });
        if (options.detach) {
          print(options.json, { runId: input.runId, workflowId: handle.workflowId, runStartedId: handle.firstExecutionRunId }, () =>
            console.log(`started run ${input.runId}; follow it with: spc watch ${input.runId}`),
          );
          return ExitCode.ok;
        }
        if (!options.json) console.log(`started run ${input.runId} (Ctrl-C detaches; the run goes on)`);
        process.once('SIGINT', () => {
          console.log(`\ndetached; the run goes on. Follow it again with: spc watch ${input.runId}`);
          process.exit(ExitCode.ok);
        });
        const summary = await followRun(handle, options.json ? (process.stderr as NodeJS.WriteStream) : process.stdout);
        print(options.json, summary, printSummary);
        return exitCodeOf(summary);
      });
    });
}
