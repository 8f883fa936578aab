/**
 * The simulated size of a LAD for the offline `spenser-sim` recipe: a factor from 1 to `spread` fixed by the LAD's
 * code, so every run (and every attempt) of a LAD takes as long, and a run's LADs differ as much as real districts
 * and cities do. Log-uniform, so a list of LADs has as many short as long ones at every scale. Pure: the activity
 * that expects durations uses it as the size proxy when no earlier run has any.
 */

/** 32-bit FNV-1a of the LAD code, as a number in [0, 1]. */
function unitHashOf(lad: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < lad.length; i++) {
    hash ^= lad.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 0xffffffff;
}

/** The factor (1 to `spread`) a LAD's simulated duration is multiplied by. */
export function durationFactorOf(lad: string, spread: number): number {
  if (!(spread >= 1)) throw new RangeError(`spread ${spread} must be >= 1`);
  return spread ** unitHashOf(lad);
}

/** The wall clock a simulated LAD takes, in whole milliseconds. */
export function simulatedDurationMsOf(lad: string, options: { durationMs: number; durationSpread?: number }): number {
  return Math.round(options.durationMs * durationFactorOf(lad, options.durationSpread ?? 1));
}
