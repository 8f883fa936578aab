/**
 * Expected durations of a run's LADs, learnt from earlier runs' manifests, and their compact form: whole seconds,
 * 4 base-36 digits per LAD in the run's LAD order (`----` for none), so 10,000 LADs take 40 KB in the run's state
 * (as packed-lads.ts packs the observed durations). Pure, so workflow code decodes it and tests need no server.
 */

const DIGITS = 4;
const NONE = '-'.repeat(DIGITS);
/** About 19 days: longer is clamped (a LAD's task wall clock is capped far below). */
const MAX_SECONDS = 36 ** DIGITS - 1;

/** The per-LAD facts of a manifest this module reads. */
export interface ManifestDurations {
  runId: string;
  lads: readonly { lad: string; status: string; durationMs?: number }[];
}

/**
 * Expected seconds per LAD: from the first manifest (most recent first) in which it succeeded with a duration.
 * Failed or cancelled LADs teach nothing (a failure can be fast or slow), so they are skipped.
 */
export function expectedSecondsFromManifests(lads: readonly string[], manifests: readonly ManifestDurations[]): Map<string, number> {
  const wanted = new Set(lads);
  const seconds = new Map<string, number>();
  for (const manifest of manifests) {
    for (const entry of manifest.lads) {
      if (!wanted.has(entry.lad) || seconds.has(entry.lad) || entry.status !== 'succeeded' || entry.durationMs === undefined) continue;
      seconds.set(entry.lad, Math.max(1, Math.round(entry.durationMs / 1000)));
    }
  }
  return seconds;
}

/** The median of some seconds (the estimate given to LADs no earlier run ran), or undefined when there are none. */
export function medianOf(values: Iterable<number>): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

/** Packs expected seconds in `ladOrder`'s order. */
export function packExpectedSeconds(ladOrder: readonly string[], seconds: ReadonlyMap<string, number>): string {
  return ladOrder
    .map((lad) => {
      const s = seconds.get(lad);
      return s === undefined ? NONE : Math.min(Math.max(0, Math.round(s)), MAX_SECONDS).toString(36).padStart(DIGITS, '0');
    })
    .join('');
}

/** Expected seconds of LAD number `index` of a packed string, or undefined when it has none. */
export function expectedSecondsAt(packed: string, index: number): number | undefined {
  const digits = packed.slice(index * DIGITS, (index + 1) * DIGITS);
  return digits.length === DIGITS && digits !== NONE ? parseInt(digits, 36) : undefined;
}

/** Whether a packed string fits a run of `count` LADs. */
export const packedFits = (packed: string, count: number): boolean => packed.length === count * DIGITS && /^([0-9a-z]{4}|-{4})*$/.test(packed);
