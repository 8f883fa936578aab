/**
 * Long real runs (issue 9), each as a user would check it: a LAD cancelled alone, a run terminated mid-flight, a
 * retry whose files must not mix with the earlier attempt's, secrets printed by a task, and tasks that queue longer
 * than their tokens would last if they were all added at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSpcRun } from '../../src/client';
import { ManifestSchema } from '../../src/schemas/manifest';
import type { ReapReport } from '../../src/schemas/reaper';
import { allRunHistoryText } from '../helpers/histories';
import { waitFor } from '../helpers/local-batch';
import { ladCodes, startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

const NOMIS_KEY = `nomis-${uniqueId('key')}`;

describe('long real runs: nothing leaks, expires, mixes or is orphaned', () => {
  let env: RunEnv;
  before(async () => {
    process.env.NOMIS_API_KEY = NOMIS_KEY;
    env = await startRunEnv();
    // Task tokens outlive a task's wall clock by 3 s only: a task left queued longer fails to download its input.
    await env.startWorker({ SPC_TASK_SAS_MARGIN_MS: '3000' });
  });
  after(() => env.close());

  const manifestOf = async (container: string) =>
    ManifestSchema.parse(JSON.parse((await env.blobs.getContainerClient(container).getBlobClient('manifest.json').downloadToBuffer()).toString('utf8')));

  it('a LAD child cancelled on its own is recorded cancelled, its task stopped; the others succeed and the run completes', async () => {
    const [slow, ...others] = ladCodes(3, 'E0700');
    const runId = uniqueId('lad-cancel');
    const handle = await startSpcRun(
      env.client,
      testInput([slow, ...others], { recipe: { name: 'custom', command: 'mkdir -p output; if [ {lad} = ' + slow + ' ]; then sleep 60; fi; echo x > output/{lad}.csv', outputPattern: 'output/*.csv' }, outputs: { expectedFiles: ['{lad}.csv'] } }),
      { workflowId: runId, taskQueue: env.taskQueue },
    );
    const jobId = `spc-${runId}`;
    await waitFor('the slow LAD running', async () => ((await env.batch.client.task.get(jobId, `${slow}-a1`).catch(() => undefined))?.state === 'running' ? true : undefined));
    await env.client.workflow.getHandle(`${runId}/${slow}`).cancel();
    const summary = await handle.result();
    assert.equal(summary.status, 'completed_with_failures');
    assert.deepEqual(summary.counts, { total: 3, succeeded: 2, failed: 0, cancelled: 1 });
    const manifest = await manifestOf(summary.container!);
    assert.equal(manifest.lads.find((l) => l.lad === slow)?.status, 'cancelled');
    assert.match(manifest.lads.find((l) => l.lad === slow)?.error ?? '', /cancelled/);
    assert.ok(summary.audit.some((a) => a.action === 'lad cancelled' && a.detail?.startsWith(slow)), 'the cancel is in the audit trail');
    assert.deepEqual(summary.cleanedUp.filter((c) => /^(job|pool) /.test(c)).sort(), [`job ${jobId} deleted`, `pool spc-${runId} deleted`]);
    await env.blobs.getContainerClient(summary.container!).delete();
  });

  it('a run terminated mid-flight: its tasks stop, and the reaper deletes its job and pool', async () => {
    const runId = uniqueId('terminated');
    const handle = await startSpcRun(env.client, testInput(ladCodes(2, 'E0800'), { recipe: { name: 'custom', command: 'sleep 120' } }), { workflowId: runId, taskQueue: env.taskQueue });
    const jobId = `spc-${runId}`;
    await waitFor('a task running', async () => {
      const tasks = await env.batch.client.task.list(jobId).catch(() => []);
      return tasks.some((t) => t.state === 'running') ? true : undefined;
    });
    await handle.terminate('test: terminate mid-flight');
    // A terminate runs no workflow code, and the LADs outlive their parent (parent close policy ABANDON, so that they
    // survive a continue-as-new): the reaper cancels them and terminates and deletes the job.
    const report = (await env.client.workflow.execute('spcReaper', { taskQueue: env.taskQueue, workflowId: uniqueId('reaper'), args: [{}] })) as ReapReport;
    assert.ok(JSON.stringify(report).includes(jobId), 'the reaper reaped the run');
    assert.deepEqual(
      report.reaped.filter((r) => r.kind === 'lad').map((r) => [r.id, r.action]).sort(),
      ladCodes(2, 'E0800').map((lad) => [`${runId}/${lad}`, 'cancelled']),
      'the LADs of the terminated run were cancelled',
    );
    await waitFor('the LADs closed', async () => {
      const open = await Promise.all(ladCodes(2, 'E0800').map(async (lad) => (await env.client.workflow.getHandle(`${runId}/${lad}`).describe()).status.name === 'RUNNING'));
      return open.some(Boolean) ? undefined : true;
    }, 30_000, 200);
    await waitFor('job and pool gone', async () => {
      const job = await env.batch.client.job.get(jobId).catch(() => undefined);
      const pool = await env.batch.client.pool.get(`spc-${runId}`).catch(() => undefined);
      const gone = (s: unknown) => s === undefined || s === 'deleting';
      return gone(job?.state) && gone(pool?.state) ? true : undefined;
    }, 30_000, 200);
  });

  it('a retry never mixes files with the attempt before: attempt 1 leaves files 1-40, attempt 2 files 30-69', async () => {
    const [lad] = ladCodes(1, 'E0900');
    const runId = uniqueId('mixed');
    const command = [
      'mkdir -p output',
      'case "$AZ_BATCH_TASK_ID" in *-a1) first=1; last=40;; *) first=30; last=69;; esac',
      'for i in $(seq "$first" "$last"); do echo "$i" > "output/f$i.csv"; done',
    ].join('; ');
    const expectedFiles = Array.from({ length: 69 }, (_, i) => `f${i + 1}.csv`);
    const summary = await (
      await startSpcRun(env.client, testInput([lad], { recipe: { name: 'custom', command }, outputs: { expectedFiles }, retry: { maxAttempts: 2, backoffMs: 100 } }), { workflowId: runId, taskQueue: env.taskQueue })
    ).result();
    assert.equal(summary.counts.failed, 1, 'files from two attempts do not make a complete LAD');
    const entry = (await manifestOf(summary.container!)).lads[0];
    assert.equal(entry.outputsOk, false);
    assert.deepEqual(entry.files.map((f) => f.name).sort(), Array.from({ length: 40 }, (_, i) => `f${i + 30}.csv`).sort(), 'only the last attempt\'s files');
    await env.blobs.getContainerClient(summary.container!).delete();
  });

  it('a task printing the NOMIS key and a SAS signature: neither reaches history, manifest or summary', async () => {
    const [lad] = ladCodes(1, 'E1000');
    const runId = uniqueId('scrub');
    // The signature is made at run time, so it is in no input: only scrubbing can keep it out.
    const command = 'sig=$(printf "c2VjcmV0LXNpZ25hdHVyZS0xMjM0NQ==" | base64 -d); echo "GET https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig=$sig failed, key=$NOMIS_API_KEY" >&2; exit 3';
    const summary = await (
      await startSpcRun(env.client, testInput([lad], { recipe: { name: 'custom', command, secretEnvironment: ['NOMIS_API_KEY'] }, retry: { maxAttempts: 1 } }), { workflowId: runId, taskQueue: env.taskQueue })
    ).result();
    const tail = summary.failures[0]?.lastAttempt?.stderrTail ?? '';
    assert.match(tail, /failed, key=\[redacted\]/, 'the tail is kept, the key removed');
    const manifestText = (await env.blobs.getContainerClient(summary.container!).getBlobClient('manifest.json').downloadToBuffer()).toString('utf8');
    const { text: histories } = await allRunHistoryText(env.client, runId);
    for (const [where, text] of [['summary', JSON.stringify(summary)], ['manifest', manifestText], ['history', histories]] as const) {
      assert.ok(!text.includes(NOMIS_KEY), `the NOMIS key is in the ${where}`);
      assert.ok(!text.includes('secret-signature-12345'), `the SAS signature is in the ${where}`);
    }
    await env.blobs.getContainerClient(summary.container!).delete();
  });

  it('a custom recipe asking for a worker variable the worker does not hand out is refused before anything exists', async () => {
    const runId = uniqueId('bad-secret');
    await assert.rejects(
      (await startSpcRun(env.client, testInput(ladCodes(1), { recipe: { name: 'custom', command: 'true', secretEnvironment: ['AZURE_BATCH_KEY'] } }), { workflowId: runId, taskQueue: env.taskQueue })).result(),
      (err: Error) => /recipe\.secretEnvironment: AZURE_BATCH_KEY/.test(String((err as { cause?: Error }).cause?.message ?? err.message)),
    );
    assert.equal(await env.batch.client.pool.get(`spc-${runId}`).catch(() => undefined), undefined, 'no pool');
  });

  it('1 node and more LADs than the token validity covers: tasks are added as the pool has room, all succeed first time', async () => {
    const lads = ladCodes(8, 'E1100');
    const runId = uniqueId('window');
    const inputs = env.blobs.getContainerClient(uniqueId('inputs').toLowerCase());
    await inputs.create();
    await inputs.getBlockBlobClient('in.txt').upload('x', 1);
    // 8 LADs x 1 s on one slot take over 8 s; tokens last 2 s (wall clock) + 3 s (margin).
    const input = testInput(lads, {
      recipe: { name: 'custom', command: 'sleep 1; mkdir -p output; cp in.txt output/{lad}.csv', inputFiles: [{ source: { container: inputs.containerName, blob: 'in.txt' }, filePath: 'in.txt' }] },
      outputs: { expectedFiles: ['{lad}.csv'] },
      pool: { dedicatedNodes: 1, taskSlotsPerNode: 1 },
      timeouts: { taskMs: 2000, heartbeatMs: 5000 },
    });
    const summary = await (await startSpcRun(env.client, input, { workflowId: runId, taskQueue: env.taskQueue })).result();
    assert.deepEqual(summary.counts, { total: 8, succeeded: 8, failed: 0, cancelled: 0 });
    const manifest = await manifestOf(summary.container!);
    for (const entry of manifest.lads) assert.deepEqual(entry.taskIds, [`${entry.lad}-a1`], `${entry.lad} needed a retry`);
    await env.blobs.getContainerClient(summary.container!).delete();
    await inputs.delete();
  });
});
