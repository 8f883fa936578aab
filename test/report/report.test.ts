import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { renderRunReport } from '../../src/report/render';
import type { ReportData } from '../../src/schemas/report';
import { launchBrowser } from '../helpers/browser';

const t = (s: number) => new Date(Date.UTC(2026, 10, 28, 2, 0, s)).toISOString();

/** Three LADs on two nodes: one clean, one failed once then succeeded, one failed for good. */
const data: ReportData = {
  runId: 'spc-report-test',
  status: 'completed_with_failures',
  startedAt: t(0),
  finishedAt: t(60),
  generatedAt: t(61),
  lads: [
    { lad: 'E06000001', status: 'succeeded', outputFiles: 69, durationMs: 20_000, attempts: [{ attempt: 1, taskId: 'E06000001-1', nodeId: 'tvm-1', startTime: t(1), endTime: t(21), exitCode: 0, succeeded: true }] },
    {
      lad: 'E06000002',
      status: 'succeeded',
      outputFiles: 69,
      durationMs: 25_000,
      attempts: [
        { attempt: 1, taskId: 'E06000002-1', nodeId: 'tvm-2', startTime: t(1), endTime: t(10), exitCode: 1, succeeded: false, stderrTail: 'boom' },
        { attempt: 2, taskId: 'E06000002-2', nodeId: 'tvm-2', startTime: t(15), endTime: t(40), exitCode: 0, succeeded: true },
      ],
    },
    {
      lad: 'W06000001',
      status: 'failed',
      outputFiles: 0,
      attempts: [{ attempt: 1, taskId: 'W06000001-1', nodeId: 'tvm-1', startTime: t(22), endTime: t(30), exitCode: 3, succeeded: false, stderrTail: 'Traceback: <KeyError> & more' }],
    },
  ],
  audit: [{ at: t(5), action: 'scale', detail: '2 -> 3 nodes', reason: 'more quota' }],
  cost: {
    currency: 'USD',
    estimate: 0.23,
    budget: 5,
    lines: [{ vmSize: 'standard_d2s_v3', priority: 'dedicated', nodeHours: 2, perHour: 0.115, cost: 0.23 }],
    ratesDate: '2026-12-03',
    ratesSource: 'test rates',
  },
  diff: { previousRunId: 'spc-prev', lads: [{ lad: 'E06000001', added: [], missing: [], changed: [{ name: 'hh_E06000001_OA11_2011.csv', sizeDelta: 12, rowsDelta: 1 }], unchanged: 68 }] },
};

describe('the run report in headless Chromium', () => {
  let browser: Browser;
  let file: string;
  before(async () => {
    browser = await launchBrowser();
    file = path.join(mkdtempSync(path.join(tmpdir(), 'spc-report-')), 'report.html');
    writeFileSync(file, renderRunReport(data));
  });
  after(() => browser?.close());

  it('renders without fetching anything, one timeline bar per attempt, one table row per LAD', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`);
    assert.equal(await page.title(), 'SPC run spc-report-test');
    assert.equal(await page.locator('svg.timeline rect.attempt').count(), 4);
    assert.equal(await page.locator('svg.timeline rect.attempt.failed').count(), 2);
    assert.equal(await page.locator('table.lads tr.lad-row').count(), 3);
    assert.deepEqual(requests, [`file://${file}`]);
    await page.close();
  });

  it('shows the estimated cost with its node-hours per VM size and priority, and the rates it used', async () => {
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    const figures = await page.locator('table.figures').innerText();
    assert.match(figures, /Estimated cost\s+~0\.23 USD \(budget 5\.00 USD\), 2 node-hours/);
    assert.match(figures, /Pool node-hours\s+standard_d2s_v3 dedicated: 2 node-hours = 0\.23 USD/);
    assert.match(figures, /Rates\s+2026-12-03: test rates/);
    await page.close();
  });

  it('escapes stderr text and shows it for failed LADs only', async () => {
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    assert.equal(await page.locator('tr.lad-row[data-lad="W06000001"] pre').textContent(), 'Traceback: <KeyError> & more');
    assert.equal(await page.locator('tr.lad-row[data-lad="E06000002"] pre').count(), 0);
    assert.match((await page.locator('#audit').textContent()) ?? '', /scale.*2 -> 3 nodes.*more quota/);
    assert.match((await page.locator('#diff').textContent()) ?? '', /1 of 1 LADs changed/);
    await page.close();
  });
});
