import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunSummary } from '../../src/schemas/summary';
import { json, spc } from '../helpers/cli';
import { startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

interface Described {
  scheduleId: string;
  paused: boolean;
  recentRuns: { runId?: string }[];
  nextActionTimes: string[];
}

describe('spc schedule: nightly regenerations through Temporal Schedules', () => {
  let env: RunEnv;
  const scheduleId = uniqueId('nightly').slice(0, 24);
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(async () => {
    await spc(env.config, ['schedule', 'delete', scheduleId]);
    await env.close();
  });

  /** Triggers the schedule and waits for the run it started to finish; returns its summary. */
  async function triggerAndFinish(runsBefore: number): Promise<RunSummary> {
    assert.equal((await spc(env.config, ['schedule', 'trigger', scheduleId])).code, 0);
    let runId: string | undefined;
    for (let i = 0; i < 100 && !runId; i++) {
      const described = json<Described>(await spc(env.config, ['schedule', 'describe', scheduleId, '--json']));
      runId = described.recentRuns[runsBefore]?.runId;
    }
    assert.ok(runId, 'the trigger started a run');
    return env.client.workflow.getHandle(runId).result() as Promise<RunSummary>;
  }

  it('creates a cron schedule in a time zone, lists and describes it', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'spc-sched-')), 'input.json');
    writeFileSync(file, JSON.stringify(testInput(['E06000001', 'S12000033'])));
    const created = await spc(env.config, ['schedule', 'create', scheduleId, '--cron', '0 2 * * *', '--timezone', 'Europe/London', '--input', file, '--task-queue', env.taskQueue, '--json']);
    assert.equal(created.code, 0, created.stderr);
    const described = json<Described>(created);
    assert.equal(described.paused, false);
    const next = new Date(described.nextActionTimes[0]);
    assert.equal(next.getUTCMinutes(), 0, 'next action on the hour');
    const listed = json<{ scheduleId: string }[]>(await spc(env.config, ['schedule', 'list', '--json']));
    assert.ok(listed.some((s) => s.scheduleId === scheduleId));
  });

  it('rejects an invalid run input and a bad overlap policy before creating anything', async () => {
    const badLads = await spc(env.config, ['schedule', 'create', `${scheduleId}-x`, '--cron', '0 2 * * *', '--lads', 'X1']);
    assert.equal(badLads.code, 2);
    assert.match(badLads.stderr, /input\.lads\.0/);
    const badOverlap = await spc(env.config, ['schedule', 'create', `${scheduleId}-x`, '--cron', '0 2 * * *', '--lads', 'E06000001', '--overlap', 'sometimes']);
    assert.equal(badOverlap.code, 2);
    assert.equal((await spc(env.config, ['schedule', 'describe', `${scheduleId}-x`])).code, 5);
  });

  it('triggered twice, it produces two completed runs with their own run ids', async () => {
    const first = await triggerAndFinish(0);
    const second = await triggerAndFinish(1);
    assert.equal(first.status, 'completed');
    assert.equal(second.status, 'completed');
    assert.notEqual(first.runId, second.runId);
    assert.ok(first.runId.startsWith(scheduleId) && second.runId.startsWith(scheduleId));
  });

  it('pauses, unpauses and deletes', async () => {
    assert.equal((await spc(env.config, ['schedule', 'pause', scheduleId, '--reason', 'maintenance'])).code, 0);
    assert.equal(json<Described>(await spc(env.config, ['schedule', 'describe', scheduleId, '--json'])).paused, true);
    assert.equal((await spc(env.config, ['schedule', 'unpause', scheduleId])).code, 0);
    assert.equal(json<Described>(await spc(env.config, ['schedule', 'describe', scheduleId, '--json'])).paused, false);
  });
});
