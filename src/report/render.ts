import type { ReportData, ReportLad } from '../schemas/report';
import { formatCost, formatMoney } from '../schemas/cost';
import { escapeHtml as e } from './html';
import { renderHistogram, renderTimeline } from './svg';

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
.figures td:first-child{color:#555;width:220px}.status-failed,.failed-text{color:#b42318}.status-succeeded{color:#067647}
rect.ok{fill:#4c9f70}rect.failed{fill:#d92d20}rect.bin{fill:#5b7fbf}text.node,text.axis{font-size:11px;fill:#555}
pre{margin:0;font-size:12px;white-space:pre-wrap;background:#fbf3f2;padding:4px}.empty{color:#777}`;

function attemptMs(lad: ReportLad): number {
  return lad.attempts.reduce((sum, a) => {
    const d = Date.parse(a.endTime ?? '') - Date.parse(a.startTime ?? '');
    return Number.isNaN(d) ? sum : sum + d;
  }, 0);
}

function summary(data: ReportData): string {
  const by = (status: string) => data.lads.filter((l) => l.status === status).length;
  const makespanMs = Date.parse(data.finishedAt) - Date.parse(data.startedAt);
  const busyHours = data.lads.reduce((sum, l) => sum + attemptMs(l), 0) / 3_600_000;
  const rows: [string, string][] = [
    ['Status', data.status],
    ['LADs', `${data.lads.length} in all: ${by('succeeded')} succeeded, ${by('failed')} failed, ${by('cancelled')} cancelled`],
    ['Attempts', String(data.lads.reduce((n, l) => n + l.attempts.length, 0))],
    ['Preemptions', String(data.lads.reduce((n, l) => n + l.attempts.reduce((m, a) => m + (a.preemptions ?? 0), 0), 0))],
    ['Started / finished', `${data.startedAt} / ${data.finishedAt}`],
    ['Makespan', `${(makespanMs / 1000).toFixed(1)} s`],
    ['Node-hours busy with tasks', busyHours.toFixed(3)],
    ...costRows(data),
    ...(data.order ? [['LAD order', data.order] as [string, string]] : []),
  ];
  return `<table class="figures">${rows.map(([k, v]) => `<tr><td>${e(k)}</td><td>${e(v)}</td></tr>`).join('')}</table>`;
}

/** The pool's node-hours by VM size and priority, priced (rates file date and source named). */
function costRows(data: ReportData): [string, string][] {
  const cost = data.cost;
  if (!cost) return [];
  const lines = cost.lines.map((l) => `${l.vmSize} ${l.priority}: ${l.nodeHours} node-hours${l.cost !== undefined ? ` = ${formatMoney(l.cost)} ${cost.currency ?? ''}` : ' (no rate)'}`);
  return [
    ['Estimated cost', formatCost(cost)],
    ...(lines.length ? ([['Pool node-hours', lines.join('; ')]] as [string, string][]) : []),
    ...(cost.ratesDate ? ([['Rates', `${cost.ratesDate}: ${cost.ratesSource ?? ''}`]] as [string, string][]) : []),
  ];
}

function ladTable(data: ReportData): string {
  const rows = data.lads
    .map((l) => {
      const last = l.attempts[l.attempts.length - 1];
      const stderr = l.status === 'failed' && last?.stderrTail ? `<pre>${e(last.stderrTail)}</pre>` : '';
      return `<tr class="lad-row" data-lad="${e(l.lad)}"><td>${e(l.lad)}</td><td class="status-${e(l.status)}">${e(l.status)}</td><td>${l.attempts.length}</td><td>${l.durationMs === undefined ? '' : (l.durationMs / 1000).toFixed(1)}</td><td class="expected">${l.expectedDurationMs === undefined ? '' : (l.expectedDurationMs / 1000).toFixed(0)}</td><td>${last?.exitCode ?? ''}</td><td>${l.outputFiles}</td><td>${stderr}</td></tr>`;
    })
    .join('');
  return `<table class="lads"><thead><tr><th>LAD</th><th>Status</th><th>Attempts</th><th>Duration (s)</th><th>Expected (s)</th><th>Exit code</th><th>Output files</th><th>stderr (failures)</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function auditTrail(data: ReportData): string {
  if (data.audit.length === 0) return '<p class="empty">No operator action during the run.</p>';
  return `<table class="audit"><tr><th>Time</th><th>Action</th><th>Detail</th><th>Reason</th></tr>${data.audit
    .map((a) => `<tr class="audit-row"><td>${e(a.at)}</td><td>${e(a.action)}</td><td>${e(a.detail ?? '')}</td><td>${e(a.reason ?? '')}</td></tr>`)
    .join('')}</table>`;
}

/** Whether the previous run ran alike: a changed output means something only when nothing that ran changed. */
function ranAlike(diff: NonNullable<ReportData['diff']>): string {
  if (!diff.ran) return '';
  if (diff.ran.alike) return '<p class="ran-alike">Both runs ran alike: the same recipe version, input and installed code.</p>';
  const rows = diff.ran.changes.map((c) => `<tr class="ran-change"><td>${e(c.what)}</td><td>${e(c.before ?? '-')}</td><td>${e(c.after ?? '-')}</td></tr>`).join('');
  const more = diff.ran.omitted ? `<p class="empty">and ${diff.ran.omitted} more changes.</p>` : '';
  return `<p class="ran-changed">What ran differs from the previous run:</p><table class="ran"><tr><th>What</th><th>Before</th><th>Now</th></tr>${rows}</table>${more}`;
}

/** What the tasks said they ran (installed commits, interpreter), one table per distinct file. */
function whatRan(data: ReportData): string {
  if (!data.provenance?.length) return '<p class="empty">The tasks recorded no provenance.</p>';
  return data.provenance
    .map(
      (p) =>
        `<p><b>${e(p.file)}</b>, from ${p.lads} LAD${p.lads === 1 ? '' : 's'}:</p><table class="provenance">${Object.entries(p.content)
          .map(([k, v]) => `<tr><td>${e(k)}</td><td>${e(v)}</td></tr>`)
          .join('')}</table>`,
    )
    .join('');
}

function diffSection(data: ReportData): string {
  if (!data.diff) return '<p class="empty">No previous run to compare with.</p>';
  const changed = data.diff.lads.filter((l) => l.added.length || l.missing.length || l.changed.length);
  const compared = data.diff.ladsCompared ?? data.diff.lads.length;
  const head = `<p>Compared with run <b>${e(data.diff.previousRunId)}</b>: ${data.diff.ladsChanged ?? changed.length} of ${compared} LADs changed.</p>${ranAlike(data.diff)}`;
  if (changed.length === 0) return head;
  const rows = changed
    .map(
      (l) =>
        `<tr class="diff-row"><td>${e(l.lad)}</td><td>${e(l.added.join(', '))}</td><td class="failed-text">${e(l.missing.join(', '))}</td><td>${l.changed
          .map((c) => `${e(c.name)} (${c.sizeDelta >= 0 ? '+' : ''}${c.sizeDelta} B${c.rowsDelta === undefined ? '' : `, ${c.rowsDelta >= 0 ? '+' : ''}${c.rowsDelta} rows`})`)
          .join('<br>')}</td><td>${l.unchanged}</td></tr>`,
    )
    .join('');
  return `${head}<table class="diff"><tr><th>LAD</th><th>Added</th><th>Missing</th><th>Changed</th><th>Unchanged</th></tr>${rows}</table>`;
}

/** The run report: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched). */
export function renderRunReport(data: ReportData): string {
  const durations = data.lads.filter((l) => l.status === 'succeeded' && l.durationMs !== undefined).map((l) => l.durationMs as number);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SPC run ${e(data.runId)}</title><style>${STYLE}</style></head><body>
<h1>SPC run ${e(data.runId)}</h1>
<section id="summary"><h2>Summary</h2>${summary(data)}</section>
<section id="timeline"><h2>Timeline by node</h2>${renderTimeline(data)}</section>
<section id="durations"><h2>LAD durations</h2>${renderHistogram(durations)}</section>
<section id="lads"><h2>LADs</h2>${ladTable(data)}</section>
<section id="audit"><h2>Control audit trail</h2>${auditTrail(data)}</section>
<section id="provenance"><h2>What ran</h2>${whatRan(data)}</section>
<section id="diff"><h2>Changes since the previous run</h2>${diffSection(data)}</section>
<footer><p class="empty">Generated ${e(data.generatedAt)} by spc-temporal.</p></footer>
</body></html>
`;
}
