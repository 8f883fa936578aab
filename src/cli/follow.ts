import type { WorkflowHandle } from '@temporalio/client';
import { progressQuery } from '../workflows/messages';
import type { RunProgress } from '../schemas/progress';
import type { RunSummary } from '../schemas/summary';
import { ExitCode } from './common';
import { formatDuration, renderProgress } from './progress-bar';
import { formatCost } from '../schemas/cost';

const POLL_MS = 1000;

/**
 * Shows live progress until the run ends, then returns its summary. Polls the `progress` query once a second:
 * one cheap query per second, whatever the run's size.
 */
export async function followRun(handle: WorkflowHandle, out: NodeJS.WriteStream = process.stdout): Promise<RunSummary> {
  let last = '';
  for (;;) {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') break;
    const progress = await handle.query(progressQuery).catch(() => undefined);
    if (progress) {
      const line = renderProgress(progress as RunProgress);
      if (out.isTTY) out.write(`\r\x1b[K${line}`);
      else if (line !== last) out.write(`${line}\n`);
      last = line;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  if (out.isTTY && last) out.write('\n');
  return (await handle.result()) as RunSummary;
}

/** The exit code a finished run maps to. */
export function exitCodeOf(summary: RunSummary): number {
  if (summary.status === 'completed') return ExitCode.ok;
  if (summary.status === 'completed_with_failures') return ExitCode.runCompletedWithFailures;
  return ExitCode.runFailed;
}

/** Prints a run summary for people. */
export function printSummary(summary: RunSummary): void {
  const { counts } = summary;
  console.log(`run ${summary.runId}: ${summary.status} in ${formatDuration(summary.durationMs)}`);
  console.log(`  LADs: ${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.cancelled} cancelled, of ${counts.total}`);
  if (summary.container) console.log(`  outputs: container ${summary.container}${summary.manifest ? `, manifest ${summary.manifest}` : ''}`);
  if (summary.finalCheck) console.log(`  final check: ${summary.finalCheck.ok ? 'passed' : `${summary.finalCheck.problems} problem(s)`}`);
  if (summary.reason) console.log(`  reason: ${summary.reason}`);
  if (summary.cost) console.log(`  cost: ${formatCost(summary.cost)}`);
  if (summary.preemptions) console.log(`  preemptions: ${summary.preemptions} task(s) requeued by Batch and run again (not failed attempts)`);
  for (const failure of summary.failures) {
    console.log(`  FAILED ${failure.lad} after ${failure.attempts} attempt(s)${failure.error ? `: ${failure.error}` : ''}`);
    const tail = failure.lastAttempt?.stderrTail;
    if (tail) console.log(tail.split('\n').map((line) => `      | ${line}`).join('\n'));
  }
  if (summary.cleanedUp.length) console.log(`  cleaned up: ${summary.cleanedUp.join(', ')}`);
}
