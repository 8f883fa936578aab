/** Capacity-shaped submission (pure): how many tasks a job may add, from the pool and the last listings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headroomOf, roomFor } from '../../src/activities/job-capacity';

const pool = (nodes: number, slotsPerNode = 1) => ({ currentNodes: nodes, targetNodes: nodes, taskSlotsPerNode: slotsPerNode });

describe('job capacity', () => {
  it('queues a quarter of the slots beyond them, at least 2, when tasks are long', () => {
    assert.deepEqual([0, 1, 8, 10, 40].map((slots) => headroomOf(slots)), [2, 2, 2, 3, 10]);
    assert.equal(roomFor(pool(10), { queuedOrRunning: 10 }, 0), 3);
    assert.equal(roomFor(pool(10), { queuedOrRunning: 12 }, 1), 0, 'admitted tasks not listed yet count');
  });

  it('queues as many as the last poll interval freed when short tasks free more, never more than the slots', () => {
    assert.equal(headroomOf(10, 5), 5);
    assert.equal(headroomOf(10, 25), 10);
    assert.equal(headroomOf(1, 3), 2, 'one slot keeps its 2');
    assert.equal(roomFor(pool(10), { queuedOrRunning: 10, finishedLastInterval: 6 }, 0), 6);
  });

  it('has room for 2 queued tasks while the pool has no node yet', () => {
    assert.equal(roomFor({ currentNodes: 0, targetNodes: 5, taskSlotsPerNode: 4 }, { queuedOrRunning: 0, finishedLastInterval: 0 }, 0), 2);
  });
});
