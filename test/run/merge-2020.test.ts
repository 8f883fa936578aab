import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSpcRun } from '../../src/client';
import { ASSIGNMENT_YEARS, checkAssignedYear, summariseCsv } from '../../src/outputs';
import { ManifestSchema } from '../../src/schemas/manifest';
import { startRunEnv, testInput, type RunEnv } from '../helpers/run-env';
import { uniqueId } from '../helpers/stack';

describe('finalize with merge2020: the old LADs of a 2020 LAD merged, the final check on the 2020 list', () => {
  let env: RunEnv;
  before(async () => {
    env = await startRunEnv();
    await env.startWorker();
  });
  after(() => env.close());

  it('merges Aylesbury Vale, Chiltern, South Bucks and Wycombe into Buckinghamshire (E06000060), ids renumbered', async () => {
    const olds = ['E07000004', 'E07000005', 'E07000006', 'E07000007'];
    const runId = uniqueId('merge2020');
    const handle = await startSpcRun(env.client, { ...testInput(['E06000001', ...olds]), merge2020: true }, { workflowId: runId, taskQueue: env.taskQueue });
    const summary = await handle.result();
    assert.equal(summary.status, 'completed');
    assert.deepEqual(summary.finalCheck, { ok: true, problems: 0 });

    const container = env.blobs.getContainerClient(summary.container!);
    const read = async (blob: string) => (await container.getBlobClient(blob).downloadToBuffer()).toString('utf8');
    const manifest = ManifestSchema.parse(JSON.parse(await read('manifest.json')));
    assert.equal(manifest.finalCheck.checkedLads, 2, 'the 2020 list of the LADs present: E06000001 and E06000060');
    assert.deepEqual(manifest.merge2020?.lads, [{ lad: 'E06000060', sources: olds, kind: 'merged', files: 10 }]);

    for (const year of ASSIGNMENT_YEARS) {
      const merged = { people: await read(`merged2020/E06000060/ass_E06000060_MSOA11_${year}.csv`), households: await read(`merged2020/E06000060/ass_hh_E06000060_OA11_${year}.csv`) };
      assert.deepEqual(checkAssignedYear(merged), [], `invariants of ${year}`);
      const sources = await Promise.all(olds.map(async (lad) => ({ people: await read(`${lad}/ass_${lad}_MSOA11_${year}.csv`), households: await read(`${lad}/ass_hh_${lad}_OA11_${year}.csv`) })));
      const sum = (key: 'people' | 'households') => sources.reduce((n, s) => n + summariseCsv(s[key]).rows, 0);
      assert.equal(summariseCsv(merged.people).rows, sum('people'), `people rows of ${year} = sum of the sources`);
      assert.equal(summariseCsv(merged.households).rows, sum('households'), `household rows of ${year} = sum of the sources`);
      assert.deepEqual(summariseCsv(merged.people).columns, summariseCsv(sources[0].people).columns);
      // Renumbered densely: PIDs 0..N-1 (the sources each start at 0, so without renumbering they would repeat).
      const pids = merged.people.trim().split('\n').slice(1).map((line) => Number(line.split(',')[0]));
      assert.deepEqual(pids, pids.map((_, i) => i));
    }
  });
});
