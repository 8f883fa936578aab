/**
 * Whether two runs ran alike: their recipe versions, their input hashes and what their tasks said they ran (the
 * `key=value` lines of their provenance files, e.g. each package's commit and the Python version). The nightly diff
 * says this first, because a changed output is a finding only when nothing that ran changed.
 */
import type { Lineage } from '../schemas/lineage';
import type { Manifest } from '../schemas/manifest';

/** What a run's manifest says ran (small: the provenance is bounded by the manifest's own limits). */
export interface RanFacts {
  recipeVersion?: string;
  inputHash?: string;
  provenance: { file: string; content: Record<string, string> }[];
}

export interface RanChange {
  /** `recipe version`, `input`, `provenance`, or `<provenance file>: <key>`. */
  what: string;
  before?: string;
  after?: string;
}

/** Most changes listed; the rest are counted. */
export const MAX_RAN_CHANGES = 50;

export function ranFactsOf(manifest: { lineage?: Lineage; provenance?: Manifest['provenance'] }): RanFacts {
  return {
    ...(manifest.lineage && { recipeVersion: manifest.lineage.recipeVersion, inputHash: manifest.lineage.inputHash }),
    provenance: (manifest.provenance ?? []).map(({ file, content }) => ({ file, content })),
  };
}

/** `<file>: <key>` -> its distinct values across the run's files of that name, sorted and joined. */
function valuesByKey(facts: RanFacts): Map<string, string> {
  const sets = new Map<string, Set<string>>();
  for (const { file, content } of facts.provenance) {
    for (const [key, value] of Object.entries(content)) {
      const name = `${file}: ${key}`;
      sets.set(name, (sets.get(name) ?? new Set()).add(value));
    }
  }
  return new Map([...sets].map(([name, values]) => [name, [...values].sort().join(' | ')]));
}

/** What differs between what ran `before` and `after`, at most {@link MAX_RAN_CHANGES}, with how many more. */
export function ranChangesBetween(before: RanFacts, after: RanFacts): { changes: RanChange[]; omitted: number } {
  const changes: RanChange[] = [];
  const differ = (what: string, a?: string, b?: string) => a !== b && changes.push({ what, ...(a !== undefined && { before: a }), ...(b !== undefined && { after: b }) });
  differ('recipe version', before.recipeVersion, after.recipeVersion);
  differ('input', before.inputHash, after.inputHash);
  if (before.provenance.length === 0 || after.provenance.length === 0) {
    // A run from before provenance was recorded (or a recipe that leaves none): say so once, not per key.
    const count = (f: RanFacts) => (f.provenance.length === 0 ? undefined : `${f.provenance.length} provenance files`);
    differ('provenance', count(before) ?? (after.provenance.length > 0 ? 'not recorded' : undefined), count(after) ?? (before.provenance.length > 0 ? 'not recorded' : undefined));
  } else {
    const [then, now] = [valuesByKey(before), valuesByKey(after)];
    for (const key of [...new Set([...then.keys(), ...now.keys()])].sort()) differ(key, then.get(key), now.get(key));
  }
  return { changes: changes.slice(0, MAX_RAN_CHANGES), omitted: Math.max(0, changes.length - MAX_RAN_CHANGES) };
}
