/** Whether two runs ran alike (pure): recipe version, input hash and the tasks' provenance, key by key. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_RAN_CHANGES, ranChangesBetween, ranFactsOf, type RanFacts } from '../../src/outputs/what-ran';

const night = (commit: string, extra: Record<string, string> = {}): RanFacts => ({
  recipeVersion: 'spenser@0123456789ab',
  inputHash: 'sha256:aa',
  provenance: [{ file: 'spenser-install.txt', content: { python: 'Python 3.9.25', microsimulation: commit, ...extra } }],
});

describe('what ran', () => {
  it('finds two nights of the same recipe, input and commits alike', () => {
    assert.deepEqual(ranChangesBetween(night('2373691'), night('2373691')), { changes: [], omitted: 0 });
  });

  it('names a changed commit, a key only one night has, and a changed recipe version and input', () => {
    const after = { ...night('abcdef0', { humanleague: '5951879' }), recipeVersion: 'spenser@ffffffffffff', inputHash: 'sha256:bb' };
    assert.deepEqual(ranChangesBetween(night('2373691'), after).changes, [
      { what: 'recipe version', before: 'spenser@0123456789ab', after: 'spenser@ffffffffffff' },
      { what: 'input', before: 'sha256:aa', after: 'sha256:bb' },
      { what: 'spenser-install.txt: humanleague', after: '5951879' },
      { what: 'spenser-install.txt: microsimulation', before: '2373691', after: 'abcdef0' },
    ]);
  });

  it('lists every value a key had when nodes installed different things', () => {
    const mixed: RanFacts = { ...night('2373691'), provenance: [...night('2373691').provenance, ...night('abcdef0').provenance] };
    assert.deepEqual(ranChangesBetween(night('2373691'), mixed).changes, [{ what: 'spenser-install.txt: microsimulation', before: '2373691', after: '2373691 | abcdef0' }]);
  });

  it('says once that a run recorded no provenance, rather than a change per key', () => {
    const old: RanFacts = { ...night('x'), provenance: [] };
    assert.deepEqual(ranChangesBetween(old, night('2373691')).changes, [{ what: 'provenance', before: 'not recorded', after: '1 provenance files' }]);
    assert.deepEqual(ranChangesBetween(old, old).changes, []);
  });

  it(`lists at most ${MAX_RAN_CHANGES} changes and counts the rest`, () => {
    const keys = (v: string) => Object.fromEntries(Array.from({ length: MAX_RAN_CHANGES + 7 }, (_, i) => [`k${i}`, v]));
    const result = ranChangesBetween({ provenance: [{ file: 'f', content: keys('1') }] }, { provenance: [{ file: 'f', content: keys('2') }] });
    assert.equal(result.changes.length, MAX_RAN_CHANGES);
    assert.equal(result.omitted, 7);
  });

  it('reads the facts from a manifest', () => {
    const facts = ranFactsOf({ lineage: { inputHash: 'sha256:aa', recipeVersion: 'custom@1' }, provenance: [{ id: 'i', file: 'f', lads: 3, content: { a: 'b' } }] });
    assert.deepEqual(facts, { recipeVersion: 'custom@1', inputHash: 'sha256:aa', provenance: [{ file: 'f', content: { a: 'b' } }] });
  });
});
