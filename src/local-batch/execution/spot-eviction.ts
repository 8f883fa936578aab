import type { Engine } from '../model/engine';
import { preemptNode } from '../model/nodes';

/**
 * Random eviction of Spot nodes at the rate the `spotEviction` fault sets. Every tick each Spot node that holds a VM
 * (idle, running, waiting for its start task) is evicted with the probability its per-node-hour rate gives over the
 * tick; the dice come from the fault's seeded generator, walked in pool and node order, so a seed replays.
 */
const TICK_MS = 100;
const EVICTABLE = new Set(['idle', 'running', 'waitingforstarttask']);
const ticking = new WeakSet<Engine>();

/** Keeps the eviction ticker running while the fault is set; call after the fault settings change. */
export function watchSpotEvictions(engine: Engine): void {
  if (ticking.has(engine) || !engine.faults.spotEviction) return;
  ticking.add(engine);
  const tick = () => {
    const setting = engine.faults.spotEviction;
    if (!setting || engine.closed) {
      ticking.delete(engine);
      return;
    }
    const probability = 1 - Math.exp((-setting.perNodeHour * TICK_MS) / 3_600_000);
    const pools = [...engine.pools.values()].filter((p) => p.wire.state === 'active').sort((a, b) => a.seq - b.seq);
    for (const pool of pools) {
      for (const node of [...pool.nodes.values()]) {
        if (node.isDedicated || !EVICTABLE.has(node.state) || node.leaving) continue;
        if (engine.faults.evictionRandom() < probability) preemptNode(engine, pool, node);
      }
    }
    engine.later(TICK_MS, tick);
  };
  engine.later(TICK_MS, tick);
}
