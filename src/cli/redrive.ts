import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Command } from 'commander';
import { createBlobServiceClient } from '../azure/clients';
import { startSpcRun } from '../client';
import { formatIssues } from '../schemas/issues';
import type { Manifest } from '../schemas/manifest';
import { containerOf } from '../schemas/names';
import { MAX_RUN_ID_LENGTH, parseRunInput, RunInputSchema, runIdFromWorkflowId, type RawRunInput } from '../schemas/run-input';
import { readManifest } from '../storage/download';
import { CliError, ExitCode, notFound, print, withClient } from './common';
import { exitCodeOf, followRun, printSummary } from './follow';

interface RedriveOptions {
  input?: string;
  lads?: string;
  taskQueue?: string;
  detach?: boolean;
  json?: boolean;
}

/** The input the run was started with (the first event of its latest execution; continue-as-new carries it). */
async function originalInput(client: Client, workflowId: string): Promise<{ raw: Record<string, unknown>; taskQueue: string }> {
  const response = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId },
    maximumPageSize: 1,
  });
  const started = response.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  if (!payload) throw new CliError(`run ${workflowId}: its input could not be read from its history`);
  return { raw: (defaultPayloadConverter.fromPayload(payload) as Record<string, unknown>) ?? {}, taskQueue: started?.taskQueue?.name ?? '' };
}

/** Objects merged key by key (override wins); arrays and other values replaced. */
function mergeInput(base: unknown, override: unknown): unknown {
  if (!isObject(base) || !isObject(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = mergeInput(base[key], value);
  return out;
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** LADs whose outputs fail the contract: not succeeded, outputs not ok, or missing from the manifest. */
export function ladsToRedrive(manifest: Manifest, runLads: readonly string[]): string[] {
  const entries = new Map(manifest.lads.map((e) => [e.lad, e]));
  const all = [...new Set([...manifest.lads.map((e) => e.lad), ...runLads])];
  return all.filter((lad) => {
    const entry = entries.get(lad);
    return !entry || entry.status !== 'succeeded' || !entry.outputsOk;
  });
}

/** The first free `<runId>-redrive-<n>`. */
async function nextRedriveId(client: Client, workflowId: string): Promise<string> {
  for (let n = 1; ; n++) {
    const id = `${workflowId}-redrive-${n}`;
    const exists = await client.workflow.getHandle(id).describe().then(() => true, (err: unknown) => ((err as Error).name === 'WorkflowNotFoundError' ? false : Promise.reject(err)));
    if (!exists) return id;
  }
}

export function registerRedrive(program: Command): void {
  program
    .command('redrive')
    .argument('<runId>', 'the run id (workflow id) of a finished run')
    .description("re-run only the LADs of a finished run whose outputs fail the output contract (failed, missing or incomplete), into the same container, as a new workflow <runId>-redrive-<n>; the original manifest is updated per LAD")
    .option('--input <json>', 'a JSON file merged over the original run input (objects merged, other values replaced)')
    .option('--lads <codes>', 'only these of the LADs to redrive (comma-separated)')
    .option('--task-queue <queue>', 'task queue of the workers (default: the original run\'s)')
    .option('--detach', 'return as soon as the redrive has started')
    .option('--json', 'print the start record or the final summary as JSON')
    .addHelpText('after', '\nExample:\n  spc redrive spc-20261128-020000\n  spc redrive spc-20261128-020000 --input retry-longer.json --detach')
    .action(async (runId: string, options: RedriveOptions) => {
      let override: unknown = {};
      if (options.input) {
        try {
          override = JSON.parse(readFileSync(options.input, 'utf8'));
        } catch (err) {
          throw new CliError(`--input ${options.input}: ${(err as Error).message}`, ExitCode.usage);
        }
      }
      process.exitCode = await withClient(async (client, config) => {
        const { status } = await client.workflow.getHandle(runId).describe().catch((err: unknown) => notFound(err, `run ${runId}`));
        if (status.name === 'RUNNING') throw new CliError(`run ${runId} is still running; redrive it once it has finished`, ExitCode.usage);
        const original = await originalInput(client, runId);
        const parsed = parseRunInput(original.raw, runId, { dropUnknownKeys: true });
        if (!parsed.ok) throw new CliError(`run ${runId}: ${parsed.message}`);
        const manifest = await readManifest(createBlobServiceClient(config).getContainerClient(containerOf(parsed.input.runId))).catch((err: unknown) => {
          throw new CliError(`run ${runId}: cannot read its manifest.json (${(err as Error).message}); only finalized runs can be redriven`, ExitCode.notFound);
        });
        let lads = ladsToRedrive(manifest, parsed.input.lads ?? []);
        if (options.lads) {
          const only = new Set(options.lads.split(',').map((l) => l.trim()));
          lads = lads.filter((lad) => only.has(lad));
        }
        if (lads.length === 0) {
          print(options.json, { runId, redriven: [] }, () => console.log(`run ${runId}: every LAD's outputs pass the contract; nothing to redrive`));
          return ExitCode.ok;
        }
        const workflowId = await nextRedriveId(client, runId);
        const redriveRunId = runIdFromWorkflowId(workflowId);
        if (redriveRunId.length < workflowId.replace(/[^A-Za-z0-9_-]/g, '-').length) {
          throw new CliError(`redrive id ${workflowId} is longer than ${MAX_RUN_ID_LENGTH} characters`, ExitCode.usage);
        }
        const attemptsSoFar = new Map(manifest.lads.map((e) => [e.lad, Math.max(e.attempts.length, ...e.attempts.map((a) => a.attempt))]));
        const { ladsCsvBlob: _, ...base } = mergeInput(original.raw, override) as Record<string, unknown>;
        const input = {
          ...base,
          runId: redriveRunId,
          lads,
          redrive: { of: parsed.input.runId, container: manifest.container, firstAttempts: Object.fromEntries(lads.map((lad) => [lad, (attemptsSoFar.get(lad) ?? 0) + 1])) },
        } as RawRunInput;
        const check = RunInputSchema.safeParse(input);
        if (!check.success) throw new CliError(`invalid redrive input:\n${formatIssues(check.error, 'input')}`, ExitCode.usage);
        const handle = await startSpcRun(client, input, {
          taskQueue: options.taskQueue ?? (original.taskQueue || config.SPC_TASK_QUEUE),
          workflowId,
          memo: { redriveOf: runId },
          staticSummary: `Redrive of ${runId}: ${lads.length} LAD(s) (${lads.slice(0, 5).join(', ')}${lads.length > 5 ? ', ...' : ''})`,
        });
        if (options.detach) {
          print(options.json, { runId: redriveRunId, workflowId, redriveOf: runId, lads }, () => console.log(`started redrive ${workflowId} of ${lads.length} LAD(s); follow it with: spc watch ${workflowId}`));
          return ExitCode.ok;
        }
        if (!options.json) console.log(`started redrive ${workflowId} of ${lads.join(', ')} (Ctrl-C detaches; the redrive goes on)`);
        process.once('SIGINT', () => process.exit(ExitCode.ok));
        const summary = await followRun(handle, options.json ? (process.stderr as NodeJS.WriteStream) : process.stdout);
        print(options.json, { ...summary, workflowId, redriveOf: runId }, printSummary);
        return exitCodeOf(summary);
      });
    });
}
