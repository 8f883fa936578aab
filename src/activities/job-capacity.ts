/**
 * Capacity-shaped submission, as pure accounting (unit-tested without a server): how many more tasks a job may have
 * added now, from what the last listing and the pool said. Tasks are added as the pool can take them, never
 * hundreds at once: a task waiting days in the job's queue would outlive its SAS URLs, and the queue would hide a
 * pool stuck at 0 nodes.
 */

/** The pool as last read from Batch. */
export interface PoolCapacity {
  /** Nodes allocated now (dedicated + Spot), in any state. */
  currentNodes: number;
  /** Nodes asked for. */
  targetNodes: number;
  taskSlotsPerNode: number;
}

/** Tasks of the job that hold or wait for a slot, from the last listing (active, preparing, running). */
export interface JobLoad {
  queuedOrRunning: number;
  /** Tasks that completed between the two last listings: the slots a poll interval frees. */
  finishedLastInterval?: number;
}

/**
 * Tasks that may wait in the queue beyond the pool's slots, so a freed slot is filled at once rather than at the
 * next poll: a quarter of the slots, at least 2, and as many as the last poll interval freed when short tasks free
 * more (never more than the slots: a queued task then still starts within one task's time). With no node yet, 2
 * tasks queue (Batch starts them as nodes come).
 */
export function headroomOf(slots: number, finishedLastInterval = 0): number {
  return Math.max(2, Math.ceil(slots / 4), Math.min(slots, finishedLastInterval));
}

/** Slots the job's pool has now. */
export const slotsOf = (pool: PoolCapacity): number => pool.currentNodes * pool.taskSlotsPerNode;

/**
 * Tasks that may be added now: slots plus headroom, minus what the job already holds and what was admitted since
 * the listing was taken (those adds may not show in it yet).
 */
export function roomFor(pool: PoolCapacity, load: JobLoad, admittedUnlisted: number): number {
  const slots = slotsOf(pool);
  return Math.max(0, slots + headroomOf(slots, load.finishedLastInterval) - load.queuedOrRunning - admittedUnlisted);
}

/** True when the pool has fewer nodes than asked for: read it again at every poll until it catches up. */
export const poolCatchingUp = (pool: PoolCapacity): boolean => pool.currentNodes < pool.targetNodes;
