import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TypedSearchAttributes } from '@temporalio/common';
import type { Manifest } from '../../src/schemas/manifest';
import type { RunSummary } from '../../src/schemas/summary';
import { json, spc } from '../helpers/cli';
import { SpcLadCountKey, SpcRunIdKey } from '../../src/workflows/search-attributes';
import { startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';
import { startedWith } from '../helpers/start-options';

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
  async function triggerAndFinish(runsBefore: number): Promise<RunSummary & { workflowId: string }> {
    assert.equal((await spc(env.config, ['schedule', 'trigger', scheduleId])).code, 0);
    let runId: string | undefined;
    for (let i = 0; i < 100 && !runId; i++) {
      const described = json<Described>(await spc(env.config, ['schedule', 'describe', scheduleId, '--json']));
      runId = described.recentRuns[runsBefore]?.runId;
    }
    assert.ok(runId, 'the trigger started a run');
    const summary = (await env.client.workflow.getHandle(runId).result()) as RunSummary;
    return { ...summary, workflowId: runId };
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
    // The action starts runs the way `spc run` does; the run id is the run's own (its workflow id is not known yet).
    const { action } = await env.client.schedule.getHandle(scheduleId).describe();
    assert.equal(action.workflowTaskTimeout, 60_000);
    const attributes = action.typedSearchAttributes;
    const actionAttributes = new TypedSearchAttributes(Array.isArray(attributes) ? attributes : attributes?.getAll());
    assert.equal(actionAttributes.get(SpcLadCountKey), 2);
    assert.equal(actionAttributes.get(SpcRunIdKey), undefined);
  });

  it('rejects an invalid run input and a bad overlap policy before creating anything', async () => {
    const badLads = await spc(env.config, ['schedule', 'create', `${scheduleId}-x`, '--cron', '0 2 * * *', '--lads', 'X1']);
    assert.equal(badLads.code, 2);
    assert.match(badLads.stderr, /input\.lads\.0/);
    const badOverlap = await spc(env.config, ['schedule', 'create', `${scheduleId}-x`, '--cron', '0 2 * * *', '--lads', 'E06000001', '--overlap', 'sometimes']);
    assert.equal(badOverlap.code, 2);
    assert.equal((await spc(env.config, ['schedule', 'describe', `${scheduleId}-x`])).code, 5);
  });

  let second: RunSummary | undefined;
  it('triggered twice, it produces two completed runs with their own run ids; the second diffs against the first', async () => {
    const first = await triggerAndFinish(0);
    second = await triggerAndFinish(1);
    assert.equal(first.status, 'completed');
    assert.equal(second.status, 'completed');
    assert.notEqual(first.runId, second.runId);
    assert.deepEqual(await startedWith(env.client, first.workflowId), { workflowTaskTimeoutMs: 60_000, runId: first.runId, status: 'completed', ladCount: 2, scheduledBy: scheduleId });
    assert.ok(first.runId.startsWith(scheduleId) && second.runId.startsWith(scheduleId));
    // Lineage: same schedule, same input hash; the first has no predecessor, the second points at the first.
    assert.equal(first.lineage?.scheduleId, scheduleId);
    assert.equal(first.lineage?.previousRunId, undefined);
    assert.equal(first.diff, undefined);
    assert.equal(second.lineage?.previousRunId, first.runId);
    assert.equal(second.lineage?.inputHash, first.lineage?.inputHash);
    assert.match(second.lineage?.recipeVersion ?? '', /^spenser-sim@[0-9a-f]{12}$/);
    // spenser-sim is deterministic: nothing changed. The summary names changed LADs only; the manifest has all.
    assert.equal(second.diff?.previousRunId, first.runId);
    assert.deepEqual([second.diff?.ladsCompared, second.diff?.ladsChanged, second.diff?.lads.length], [2, 0, 0]);
    const manifest = json<Manifest>({ code: 0, stdout: (await env.blobs.getContainerClient(second.container!).getBlobClient('manifest.json').downloadToBuffer()).toString(), stderr: '' });
    assert.equal(manifest.lineage?.previousRunId, first.runId);
    assert.deepEqual(manifest.diff?.lads.map((l) => [l.lad, l.added.length, l.missing.length, l.changed.length, l.unchanged]), [
      ['E06000001', 0, 0, 0, 69],
      ['S12000033', 0, 0, 0, 69],
    ]);
    assert.deepEqual(manifest.diff?.ran, { alike: true, changes: [] }, 'the same recipe, input and provenance both nights');
  });

  it('a night whose outputs changed reports the changed files with size and row deltas, and the report shows them', async () => {
    // The next night runs at twice the scale: every file's rows change.
    await env.client.schedule.getHandle(scheduleId).update((prev) => {
      const action = prev.action as Extract<typeof prev.action, { type: 'startWorkflow' }>;
      const input = testInput(['E06000001', 'S12000033'], { recipe: { name: 'spenser-sim', options: { durationMs: 300, scale: 0.02 } } });
      return { ...prev, action: { ...action, args: [input] } };
    });
    const third = await triggerAndFinish(2);
    assert.equal(third.status, 'completed');
    assert.equal(third.lineage?.previousRunId, second?.runId);
    assert.notEqual(third.lineage?.inputHash, second?.lineage?.inputHash);
    const lad = third.diff?.lads.find((l) => l.lad === 'E06000001');
    assert.ok(lad, 'E06000001 in the diff');
    assert.equal(lad.added.length + lad.missing.length, 0);
    assert.ok(lad.changed.length > 60, `most files changed (${lad.changed.length})`);
    const people = lad.changed.find((c) => c.name === 'ass_E06000001_MSOA11_2020.csv');
    assert.ok(people && people.rowsDelta !== undefined && people.rowsDelta > 0 && people.sizeDelta > 0, JSON.stringify(people));

    const file = path.join(mkdtempSync(path.join(tmpdir(), 'spc-sched-')), 'report.html');
    const report = await spc(env.config, ['report', third.workflowId, '--to', file]);
    assert.equal(report.code, 0, report.stderr);
    const html = readFileSync(file, 'utf8');
    assert.match(html, new RegExp(`Compared with run <b>${second!.runId}</b>: 2 of 2 LADs changed`));
    assert.match(html, /ass_E06000001_MSOA11_2020\.csv/);
    // The scale is part of the input and of what the tasks say they ran: the diff says what ran differently.
    const manifest = json<Manifest>({ code: 0, stdout: (await env.blobs.getContainerClient(third.container!).getBlobClient('manifest.json').downloadToBuffer()).toString(), stderr: '' });
    assert.equal(manifest.diff?.ran?.alike, false);
    assert.deepEqual(
      manifest.diff?.ran?.changes.filter((c) => c.what !== 'input'),
      [{ what: 'spenser-sim.txt: scale', before: '0.01', after: '0.02' }],
    );
    assert.ok(manifest.diff?.ran?.changes.some((c) => c.what === 'input' && c.before === second!.lineage?.inputHash));
    assert.match(html, /What ran differs from the previous run/);
    assert.match(html, /<td>spenser-sim\.txt: scale<\/td><td>0\.01<\/td><td>0\.02<\/td>/);
    assert.match(html, /<b>spenser-sim\.txt<\/b>, from 2 LADs/, 'the report shows what ran');
  });

  it('pauses, unpauses and deletes', async () => {
    assert.equal((await spc(env.config, ['schedule', 'pause', scheduleId, '--reason', 'maintenance'])).code, 0);
    assert.equal(json<Described>(await spc(env.config, ['schedule', 'describe', scheduleId, '--json'])).paused, true);
    assert.equal((await spc(env.config, ['schedule', 'unpause', scheduleId])).code, 0);
    assert.equal(json<Described>(await spc(env.config, ['schedule', 'describe', scheduleId, '--json'])).paused, false);
  });
});
