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
    const handle = await startSpcRun(env.client, testInput(['E06000001', 'W06000001']), { workflowId: runId, taskQueue: env.taskQueue });
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

  it("finds one LAD's child by SpcLad and SpcStatus", async () => {
    const ids = await listed(`SpcRunId = "${runId}" AND SpcLad = "W06000001" AND SpcStatus = "succeeded"`, 1);
    assert.deepEqual([...new Set(ids)], [`${runId}/W06000001`]);
  });
});
