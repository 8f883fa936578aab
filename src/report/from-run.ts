import type { Manifest } from '../schemas/manifest';
import type { ReportData } from '../schemas/report';
import type { RunSummary } from '../schemas/summary';

/** Builds the report's data from a finished run's manifest and summary (no I/O). */
export function reportDataFromRun(manifest: Manifest, summary: RunSummary, generatedAt = new Date()): ReportData {
  return {
    runId: summary.runId,
    status: summary.status,
    startedAt: summary.startedAt,
    finishedAt: summary.finishedAt,
    generatedAt: generatedAt.toISOString(),
    audit: summary.audit,
    // The manifest's diff has every LAD; the summary's only the changed ones.
    diff: manifest.diff ?? summary.diff,
    ...(summary.cost && { cost: summary.cost }),
    ...(manifest.order && { order: `${manifest.order.used}: ${manifest.order.reason}` }),
    ...(manifest.provenance && { provenance: manifest.provenance.map(({ file, lads, content }) => ({ file, lads, content })) }),
    lads: manifest.lads.map((entry) => ({
      lad: entry.lad,
      status: entry.status,
      outputFiles: entry.files.length,
      durationMs: entry.durationMs,
      ...(entry.expectedDurationMs !== undefined && { expectedDurationMs: entry.expectedDurationMs }),
      attempts: entry.attempts.map((a) => ({
        attempt: a.attempt,
        taskId: a.taskId,
        nodeId: a.nodeId,
        startTime: a.startTime,
        endTime: a.endTime,
        exitCode: a.exitCode,
        succeeded: a.outcome === 'success',
        stderrTail: a.stderrTail,
        ...(a.preemptions && { preemptions: a.preemptions }),
      })),
    })),
  };
}
