import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containerOf, jobIdOf, poolIdOf } from '../../src/schemas/names';

describe('names derived from a run id', () => {
  it('prefix spc- once, also for run ids that already start with it', () => {
    assert.equal(jobIdOf('nightly-1'), 'spc-nightly-1');
    assert.equal(jobIdOf('spc-20261128-020000'), 'spc-20261128-020000');
    assert.equal(poolIdOf('spc-20261128-020000'), 'spc-20261128-020000');
    assert.equal(containerOf('spc-20261128-020000'), 'spc-20261128-020000');
  });

  it('make container names storage-safe: lowercase, no other characters, single hyphens, at most 63', () => {
    assert.equal(containerOf('Nightly_2026-11-28T02:00:00Z'), 'spc-nightly-2026-11-28t02-00-00z');
    assert.ok(containerOf('x'.repeat(80)).length <= 63);
    assert.ok(jobIdOf('x'.repeat(80)).length <= 64);
  });
});
