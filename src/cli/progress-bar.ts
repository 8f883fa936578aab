import type { RunProgress } from '../schemas/progress';
import { capacityParts } from './capacity-line';

/** Formats milliseconds as `1h02m`, `3m05s` or `42s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/**
 * Estimated time to finish: the run's own ETA from expected durations when it has one; else the mean duration of
 * finished LADs times the LADs still to run, divided by how many run at once, undefined until a LAD has finished.
 */
export function estimateRemainingMs(progress: RunProgress, nowMs = Date.now()): number | undefined {
  // A run with expected durations knows its work (workflows/eta.ts): its end, counted from now.
  if (progress.eta) return Math.max(0, Date.parse(progress.eta.endsAt) - nowMs);
  const done = progress.finishedDurationsMs;
  if (done.length === 0) return undefined;
  const mean = done.reduce((a, b) => a + b, 0) / done.length;
  const { queued, running, retrying } = progress.counts;
  const remaining = queued + running + retrying;
  if (remaining === 0) return 0;
  const parallel = Math.max(1, running);
  return Math.ceil(remaining / parallel) * mean;
}

/** One line of progress: a bar of finished LADs, counts by state, the pool, the ETA. */
export function renderProgress(progress: RunProgress, width = 24): string {
  const { total, succeeded, failed, running, retrying, queued, cancelled } = progress.counts;
  const finished = succeeded + failed + cancelled;
  const filled = total === 0 ? 0 : Math.round((finished / total) * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const parts = [`${finished}/${total} done`, `${failed} failed`, `${running} running`];
  if (retrying) parts.push(`${retrying} retrying`);
  parts.push(`${queued} queued`);
  if (progress.preemptions) parts.push(`${progress.preemptions} preempted`);
  if (progress.pool) parts.push(`pool ${progress.pool.targetDedicated + progress.pool.targetLowPriority} nodes`);
  parts.push(...capacityParts(progress));
  const eta = estimateRemainingMs(progress);
  if (eta !== undefined && finished < total) parts.push(`ETA ${formatDuration(eta)}${progress.eta ? ' (expected durations)' : ''}`);
  if (progress.order?.used === 'longest-first') parts.push('longest first');
  return `${progress.status.padEnd(9)} ${bar} ${parts.join(' · ')}`;
}
