import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRunInput, type NormalisedRunInput } from '../../src/schemas/run-input';
import { RunStateSchema } from '../../src/schemas/run-state';
import * as rs from '../../src/workflows/run-state';

const T0 = Date.parse('2026-11-28T02:00:00Z');
const input = (raw: object = {}): NormalisedRunInput => {
  const parsed = parseRunInput({ lads: ['E06000001', 'E06000002', 'E06000003', 'E06000004'], ...raw }, 'run-1');
  assert.ok(parsed.ok);
  return parsed.input;
};
const fresh = (raw?: object) => {
  const state = rs.newRunState(input(raw), input(raw).lads!, T0);
  state.status = 'running';
  return state;
};
const ok = (lad: string, attempts = 1) => ({
  lad,
  status: 'succeeded' as const,
  durationMs: 1000,
  attempts: Array.from({ length: attempts }, (_, i) => ({ attempt: i + 1, taskId: `${lad}-a${i + 1}`, outcome: 'success' as const })),
});
const failed = (lad: string) => ({ lad, status: 'failed' as const, attempts: [{ attempt: 1, taskId: `${lad}-a1`, outcome: 'failure' as const, exitCode: 1 }] });

describe('run state transitions', () => {
  it('starts LADs up to the cap, none while paused or stopping', () => {
    const state = fresh();
    assert.deepEqual(rs.ladsToStart(state, 2), ['E06000001', 'E06000002']);
    rs.markStarted(state, 'E06000001');
    rs.markStarted(state, 'E06000002');
    assert.deepEqual(rs.ladsToStart(state, 2), []);
    rs.markFinished(state, ok('E06000001'));
    assert.deepEqual(rs.ladsToStart(state, 2), ['E06000003']);
    assert.equal(rs.applyPause(state, T0 + 1, 'lunch'), true);
    assert.equal(rs.applyPause(state, T0 + 2), false, 'a second pause is a no-op');
    assert.equal(state.status, 'paused');
    assert.deepEqual(rs.ladsToStart(state, 2), []);
    assert.equal(rs.applyResume(state, T0 + 3), true);
    assert.equal(state.status, 'running');
    assert.deepEqual(rs.ladsToStart(state, 2), ['E06000003']);
    rs.requestStop(state, T0 + 4, 'cancelled', 'user');
    assert.deepEqual(rs.ladsToStart(state, 2), []);
    assert.deepEqual(state.audit.map((a) => [a.action, a.reason]), [['pause', 'lunch'], ['resume', undefined], ['cancel', 'user']]);
  });

  it('counts a LAD once: a second result for it is ignored', () => {
    const state = fresh();
    rs.markStarted(state, 'E06000001');
    assert.equal(rs.markFinished(state, ok('E06000001')), true);
    assert.equal(rs.markFinished(state, failed('E06000001')), false);
    assert.equal(state.lads.E06000001.status, 'succeeded');
    assert.equal(rs.progressOf(state).counts.succeeded, 1);
  });

  it('tracks retrying LADs and never moves a finished one back', () => {
    const state = fresh();
    rs.markStarted(state, 'E06000001');
    rs.markRetrying(state, 'E06000001', 2);
    assert.equal(rs.progressOf(state).counts.retrying, 1);
    assert.equal(state.lads.E06000001.attempts, 2);
    rs.markFinished(state, ok('E06000001', 2));
    rs.markRetrying(state, 'E06000001', 3);
    assert.equal(state.lads.E06000001.status, 'succeeded');
  });

  it('ends completed, completed_with_failures, or as the stop says', () => {
    const state = fresh();
    for (const lad of state.ladOrder) rs.markStarted(state, lad);
    for (const lad of ['E06000001', 'E06000002', 'E06000003']) rs.markFinished(state, ok(lad));
    assert.equal(rs.allFinished(state), false);
    rs.markFinished(state, ok('E06000004'));
    assert.equal(rs.allFinished(state), true);
    assert.equal(rs.finalStatus(state), 'completed');
    state.lads.E06000004 = { status: 'failed', attempts: 1 };
    assert.equal(rs.finalStatus(state), 'completed_with_failures');
    rs.requestStop(state, T0, 'failed', 'threshold');
    assert.equal(rs.finalStatus(state), 'failed');
  });

  it('applies the tolerated-failure threshold by count and by percent', () => {
    const state = fresh();
    rs.markFinished(state, failed('E06000001'));
    assert.equal(rs.thresholdExceeded(state, undefined), false);
    assert.equal(rs.thresholdExceeded(state, { count: 1 }), false);
    assert.equal(rs.thresholdExceeded(state, { percent: 25 }), false);
    rs.markFinished(state, failed('E06000002'));
    assert.equal(rs.thresholdExceeded(state, { count: 1 }), true);
    assert.equal(rs.thresholdExceeded(state, { percent: 25 }), true);
  });

  it('marks unfinished LADs cancelled on a stop and summarises with failures and their stderr', () => {
    const state = fresh();
    rs.markFinished(state, ok('E06000001'));
    rs.markFinished(state, { ...failed('E06000002'), attempts: [{ attempt: 1, taskId: 'E06000002-a1', outcome: 'failure', exitCode: 3, stderrTail: 'boom' }] });
    rs.requestStop(state, T0 + 10, 'cancelled', 'user');
    assert.deepEqual(rs.markUnfinishedCancelled(state), ['E06000003', 'E06000004']);
    state.status = rs.finalStatus(state);
    const summary = rs.summaryOf(state, T0 + 5000, { cleanedUp: [] });
    assert.equal(summary.status, 'cancelled');
    assert.deepEqual(summary.counts, { total: 4, succeeded: 1, failed: 1, cancelled: 2 });
    assert.equal(summary.failures[0].lastAttempt?.stderrTail, 'boom');
    assert.equal(summary.durationMs, 5000);
  });

  it('records pool targets in the audit trail and keeps it bounded', () => {
    const state = fresh();
    rs.applyScale(state, T0, { id: 'p', targetDedicated: 4, targetLowPriority: 1 }, 'faster');
    assert.equal(state.audit[0].detail, '? -> 4+1 nodes');
    for (let i = 0; i < rs.MAX_AUDIT_ENTRIES + 10; i++) rs.audit(state, T0 + i, 'x');
    assert.equal(state.audit.length, rs.MAX_AUDIT_ENTRIES);
  });

  it('is plain JSON that the carried-state schema parses back (continue-as-new)', () => {
    const state = fresh();
    rs.markStarted(state, 'E06000001');
    rs.markFinished(state, ok('E06000001'));
    assert.deepEqual(RunStateSchema.parse(JSON.parse(JSON.stringify(state))), state);
  });
});
