import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startSpcRun } from '../../src/client';
import { loadStackSettings } from '../../src/config';
import { launchBrowser } from '../helpers/browser';
import { startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

/** The dev server's Web UI, as a user would open it. */
const webUi = () => `http://127.0.0.1:${loadStackSettings().SPC_TEMPORAL_UI_PORT}`;

describe('a run in the Temporal Web UI (headless Chromium)', () => {
  let env: RunEnv;
  let browser: Browser;
  const runId = uniqueId('webui');

  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
    const handle = await startSpcRun(env.client, testInput(['E06000001', 'W06000001'], { recipe: { name: 'spenser-sim', options: { durationMs: 300, scale: 0.01, failAttempts: { E06000001: 1 } } } }), { workflowId: runId, taskQueue: env.taskQueue });
    await handle.result();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await env?.close();
  });

  /** Opens the workflow list filtered by a visibility query and returns the workflow ids it shows. */
  async function listed(query: string, expected: number): Promise<string[]> {
    const page = await browser.newPage();
    try {
      await page.goto(`${webUi()}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
      const links = page.locator('a[href*="/workflows/"]').filter({ hasText: runId });
      await links.nth(expected - 1).waitFor({ timeout: 20_000 });
      return (await links.allTextContents()).map((t) => t.trim());
    } finally {
      await page.close();
    }
  }

  it('lists the run by SpcRunId: the parent and one child per LAD, with readable ids', async () => {
    const ids = await listed(`SpcRunId = "${runId}"`, 3);
    assert.deepEqual([...new Set(ids)].sort(), [runId, `${runId}/E06000001`, `${runId}/W06000001`].sort());
  });

  it('shows a LAD child with its static summary; the run carries its key figures in the memo', async () => {
    const childId = `${runId}/W06000001`;
    const child = await env.client.workflow.getHandle(childId).describe();
    assert.equal(await child.staticSummary(), `LAD W06000001 of run ${runId}`);
    const memo = (await env.client.workflow.getHandle(runId).describe()).memo?.spc as { milestone: string; status: string; counts: { total: number; succeeded: number }; container: string };
    assert.equal(memo.milestone, 'finished');
    assert.equal(memo.status, 'completed');
    assert.deepEqual([memo.counts.total, memo.counts.succeeded], [2, 2]);
    assert.match(memo.container, /^spc-webui-/);

    const page = await browser.newPage();
    try {
      await page.goto(`${webUi()}/namespaces/default/workflows/${encodeURIComponent(childId)}`);
      await page.getByText(`LAD W06000001 of run ${runId}`).first().waitFor({ timeout: 20_000 });
    } finally {
      await page.close();
    }
  });

  it('records summaries on the activities and timers of a LAD (user metadata)', async () => {
    const history = await env.client.workflow.getHandle(`${runId}/W06000001`).fetchHistory();
    const summaries = await Promise.all(
      (history.events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes && e.userMetadata?.summary)
        .map((e) => env.client.options.loadedDataConverter.payloadConverter.fromPayload(e.userMetadata!.summary!)),
    );
    // Since 0.2 the awaiting activity also verifies the outputs: one activity per attempt.
    assert.deepEqual(summaries, ['W06000001 attempt 1: Batch task W06000001-a1']);
    // E06000001 fails its first attempt: its backoff timer carries a summary too.
    const retried = await env.client.workflow.getHandle(`${runId}/E06000001`).fetchHistory();
    const timer = (retried.events ?? []).find((e) => e.timerStartedEventAttributes);
    assert.ok(timer?.userMetadata?.summary, 'the backoff timer has a summary');
    assert.equal(env.client.options.loadedDataConverter.payloadConverter.fromPayload(timer.userMetadata.summary), 'backoff before attempt 2 of E06000001');
  });

  it("finds one LAD's child by SpcLad and SpcStatus", async () => {
    const ids = await listed(`SpcRunId = "${runId}" AND SpcLad = "W06000001" AND SpcStatus = "succeeded"`, 1);
    assert.deepEqual([...new Set(ids)], [`${runId}/W06000001`]);
  });
});
