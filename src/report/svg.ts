import type { ReportData } from '../schemas/report';
import { escapeHtml } from './html';

const ms = (iso?: string) => (iso ? Date.parse(iso) : NaN);

/**
 * The timeline: one row per Batch node, one bar per attempt from its start to its end, failed attempts marked.
 * Attempts that never reached a node (cancelled while queued) have no bar.
 */
export function renderTimeline(data: ReportData, width = 960): string {
  const attempts = data.lads.flatMap((lad) =>
    lad.attempts.filter((a) => a.nodeId && !Number.isNaN(ms(a.startTime))).map((a) => ({ lad: lad.lad, ...a })),
  );
  if (attempts.length === 0) return '<p class="empty">No attempt ran on a node.</p>';
  const nodes = [...new Set(attempts.map((a) => a.nodeId as string))].sort();
  const t0 = Math.min(...attempts.map((a) => ms(a.startTime)));
  const t1 = Math.max(...attempts.map((a) => (Number.isNaN(ms(a.endTime)) ? ms(data.finishedAt) : ms(a.endTime))));
  const span = Math.max(1, t1 - t0);
  const label = 150;
  const rowHeight = 18;
  const x = (t: number) => label + ((t - t0) / span) * (width - label - 10);
  const rows = nodes
    .map((node, i) => `<text x="4" y="${i * rowHeight + 13}" class="node">${escapeHtml(node.slice(-18))}</text>`)
    .join('');
  const bars = attempts
    .map((a) => {
      const row = nodes.indexOf(a.nodeId as string);
      const start = x(ms(a.startTime));
      const end = x(Number.isNaN(ms(a.endTime)) ? t1 : ms(a.endTime));
      const title = `${a.lad} attempt ${a.attempt} on ${a.nodeId}: ${a.succeeded ? 'succeeded' : `failed (exit ${a.exitCode ?? '?'})`}`;
      return `<rect class="attempt ${a.succeeded ? 'ok' : 'failed'}" data-lad="${escapeHtml(a.lad)}" data-attempt="${a.attempt}" x="${start.toFixed(1)}" y="${row * rowHeight + 2}" width="${Math.max(2, end - start).toFixed(1)}" height="${rowHeight - 4}"><title>${escapeHtml(title)}</title></rect>`;
    })
    .join('');
  const height = nodes.length * rowHeight + 20;
  const axis = `<text x="${label}" y="${height - 4}" class="axis">0 s</text><text x="${width - 10}" y="${height - 4}" class="axis" text-anchor="end">${Math.round(span / 1000)} s</text>`;
  return `<svg class="timeline" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="timeline by node">${rows}${bars}${axis}</svg>`;
}

/** A histogram of finished LADs' durations in up to `binCount` bins. */
export function renderHistogram(durationsMs: number[], binCount = 12, width = 480, height = 160): string {
  if (durationsMs.length === 0) return '<p class="empty">No LAD finished.</p>';
  const min = Math.min(...durationsMs);
  const max = Math.max(...durationsMs);
  const bins = new Array<number>(binCount).fill(0);
  const size = (max - min) / binCount || 1;
  for (const d of durationsMs) bins[Math.min(binCount - 1, Math.floor((d - min) / size))]++;
  const top = Math.max(...bins);
  const barWidth = width / binCount;
  const bars = bins
    .map((count, i) => {
      const h = (count / top) * (height - 30);
      const from = Math.round((min + i * size) / 1000);
      return `<rect class="bin" x="${(i * barWidth + 1).toFixed(1)}" y="${(height - 20 - h).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${h.toFixed(1)}"><title>${count} LAD(s) from ${from} s</title></rect>`;
    })
    .join('');
  const axis = `<text x="0" y="${height - 4}" class="axis">${Math.round(min / 1000)} s</text><text x="${width}" y="${height - 4}" class="axis" text-anchor="end">${Math.round(max / 1000)} s</text>`;
  return `<svg class="histogram" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="LAD durations">${bars}${axis}</svg>`;
}
