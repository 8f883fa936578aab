import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { Command } from 'commander';
import { spcRunScheduleAction } from '../client';
import { CliError, ExitCode, notFound, print, withClient } from './common';
import { buildRunInput, runMetadata, type RunOptions } from './run';

const OVERLAP: Record<string, ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  'buffer-one': ScheduleOverlapPolicy.BUFFER_ONE,
  'buffer-all': ScheduleOverlapPolicy.BUFFER_ALL,
  'cancel-other': ScheduleOverlapPolicy.CANCEL_OTHER,
  'terminate-other': ScheduleOverlapPolicy.TERMINATE_OTHER,
  'allow-all': ScheduleOverlapPolicy.ALLOW_ALL,
};

interface CreateOptions extends RunOptions {
  cron: string;
  timezone: string;
  overlap: string;
  catchupWindow: string;
  paused?: boolean;
}

async function describeSchedule(client: Client, id: string) {
  const description = await client.schedule.getHandle(id).describe().catch((err: unknown) => notFound(err, `schedule ${id}`));
  return {
    scheduleId: id,
    paused: description.state.paused,
    note: description.state.note,
    calendars: description.spec.calendars?.length ?? 0,
    timezone: description.spec.timezone,
    overlap: description.policies.overlap,
    catchupWindowMs: description.policies.catchupWindow,
    nextActionTimes: description.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
    recentRuns: description.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      runId: a.action.type === 'startWorkflow' ? a.action.workflow.workflowId : undefined,
    })),
  };
}

export function registerSchedule(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('Temporal Schedules for nightly regenerations (each action starts spcRun with the same input)');

  schedule
    .command('create')
    .argument('<scheduleId>', 'the schedule id; its runs are named <scheduleId>-<time>')
    .description('create a schedule; overlap "skip" by default, so a slow night never stacks two runs')
    .requiredOption('--cron <expr>', 'cron expression, e.g. "0 2 * * *" for 02:00 every day')
    .option('--timezone <tz>', 'IANA time zone of the cron expression', 'Europe/London')
    .option('--overlap <policy>', `what to do if the previous run still runs: ${Object.keys(OVERLAP).join(', ')}`, 'skip')
    .option('--catchup-window <duration>', 'how late a missed action may still start (e.g. 1h, 30m)', '1h')
    .option('--lads <codes>', 'comma-separated LAD codes')
    .option('--lads-file <csv>', 'a CSV with a LAD20CD or "LAD code" column')
    .option('--input <json>', 'a JSON file with the run input')
    .option('--task-queue <queue>', 'task queue of the workers (default: $SPC_TASK_QUEUE)')
    .option('--paused', 'create it paused')
    .option('--json', 'print the schedule as JSON')
    .addHelpText('after', '\nExample:\n  spc schedule create nightly --cron "0 2 * * *" --lads-file lads.csv')
    .action(async (scheduleId: string, options: CreateOptions) => {
      const overlap = OVERLAP[options.overlap];
      if (overlap === undefined) throw new CliError(`--overlap must be one of ${Object.keys(OVERLAP).join(', ')}`, ExitCode.usage);
      if (!/^\d+(ms|s|m|h|d)$/.test(options.catchupWindow)) throw new CliError(`--catchup-window "${options.catchupWindow}" must be a number and a unit, e.g. 30m or 1h`, ExitCode.usage);
      // Each scheduled run gets its own run id from its workflow id, so the stored input carries none.
      const { runId: _, ...input } = buildRunInput({ ...options, runId: scheduleId });
      await withClient(async (client, config) => {
        await client.schedule.create({
          scheduleId,
          spec: { cronExpressions: [options.cron], timezone: options.timezone },
          action: spcRunScheduleAction(input, { workflowId: scheduleId, taskQueue: options.taskQueue ?? config.SPC_TASK_QUEUE, ...runMetadata(input) }),
          policies: { overlap, catchupWindow: options.catchupWindow as Duration },
          state: { paused: options.paused ?? false, note: `spc schedule create ${scheduleId}` },
        });
        print(options.json, await describeSchedule(client, scheduleId), (d) =>
          console.log(`schedule ${d.scheduleId} created; next runs: ${d.nextActionTimes.join(', ') || '(paused)'}`),
        );
      });
    });

  schedule
    .command('list')
    .description('list schedules')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  spc schedule list --json')
    .action(async (options: { json?: boolean }) => {
      await withClient(async (client) => {
        const rows: { scheduleId: string; paused: boolean; next?: string }[] = [];
        for await (const s of client.schedule.list()) {
          rows.push({ scheduleId: s.scheduleId, paused: s.state.paused, next: s.info.nextActionTimes[0]?.toISOString() });
        }
        print(options.json, rows, () => {
          if (rows.length === 0) console.log('no schedules');
          for (const r of rows) console.log(`${r.scheduleId.padEnd(30)} ${r.paused ? 'paused ' : 'active '} next ${r.next ?? '-'}`);
        });
      });
    });

  schedule
    .command('describe')
    .argument('<scheduleId>')
    .description('show a schedule: spec, policies, next and recent runs')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  spc schedule describe nightly')
    .action(async (scheduleId: string, options: { json?: boolean }) => {
      await withClient(async (client) => print(options.json, await describeSchedule(client, scheduleId), (d) => console.log(JSON.stringify(d, null, 2))));
    });

  const simple: [string, string, (client: Client, id: string, reason?: string) => Promise<void>][] = [
    ['pause', 'pause a schedule (no new runs start)', (c, id, reason) => c.schedule.getHandle(id).pause(reason)],
    ['unpause', 'unpause a schedule', (c, id, reason) => c.schedule.getHandle(id).unpause(reason)],
    ['trigger', 'start a run now (the overlap policy still applies)', (c, id) => c.schedule.getHandle(id).trigger()],
    ['delete', 'delete a schedule (runs it started are not touched)', (c, id) => c.schedule.getHandle(id).delete()],
  ];
  for (const [name, description, act] of simple) {
    schedule
      .command(name)
      .argument('<scheduleId>')
      .description(description)
      .option('--reason <text>', 'a note kept on the schedule')
      .addHelpText('after', `\nExample:\n  spc schedule ${name} nightly`)
      .action(async (scheduleId: string, options: { reason?: string }) => {
        await withClient(async (client) => {
          await act(client, scheduleId, options.reason).catch((err: unknown) => notFound(err, `schedule ${scheduleId}`));
          console.log(`schedule ${scheduleId}: ${name} done`);
        });
      });
  }
}
