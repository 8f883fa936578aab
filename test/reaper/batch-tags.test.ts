import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKept, jobTags, KEEP_TAG, parsePoolSize, poolTags, readJobPool, readRunTags, TAG, tagOf, withTags } from '../../src/schemas/batch-tags';

const run = { runId: 'r1', workflowId: 'wf-1', namespace: 'default', taskQueue: 'q' };

describe('batch tags: the metadata contract between runs and the reaper', () => {
  it('a job on a created pool says so and carries no restore size; a reused pool job carries its size before the run', () => {
    const created = jobTags(run, { poolId: 'p1', created: true, restore: { targetDedicated: 9, targetLowPriority: 9 } });
    assert.equal(tagOf(created, TAG.poolCreated), 'true');
    assert.equal(tagOf(created, TAG.poolRestore), undefined);
    assert.deepEqual(readJobPool(created), { poolId: 'p1', created: true });
    const reused = jobTags(run, { poolId: 'shared', created: false, restore: { targetDedicated: 2, targetLowPriority: 1 } });
    assert.equal(tagOf(reused, TAG.poolRestore), '2,1');
    assert.deepEqual(readJobPool(reused), { poolId: 'shared', created: false, restore: { targetDedicated: 2, targetLowPriority: 1 } });
    assert.deepEqual(readRunTags(reused), run);
  });

  it('a pool is owned by the run; keep is merged into existing metadata without duplicates', () => {
    const tags = poolTags(run);
    assert.equal(tagOf(tags, TAG.owner), 'run');
    assert.equal(isKept(tags), false);
    const kept = withTags(withTags(tags, [KEEP_TAG]), [KEEP_TAG]);
    assert.equal(isKept(kept), true);
    assert.equal(kept.filter((t) => t.name === TAG.keep).length, 1);
    assert.equal(kept.length, tags.length + 1);
  });

  it('never guesses: incomplete run tags and malformed sizes read as absent', () => {
    assert.equal(readRunTags([{ name: TAG.workflowId, value: 'wf' }]), undefined);
    assert.equal(readRunTags(undefined), undefined);
    for (const bad of ['', '2', '2,', 'a,b', '-1,0', '1,2,3']) assert.equal(parsePoolSize(bad), undefined, bad);
    assert.deepEqual(parsePoolSize(' 0,3 '), { targetDedicated: 0, targetLowPriority: 3 });
  });
});
