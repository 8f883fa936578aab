/**
 * Provenance: what a task says it ran. A task may leave small text files in `provenance/` of its working
 * directory (the spenser recipe leaves its node's install marker: recipe version, Python, the commit of each
 * package); they are uploaded with its outputs to `_spc/provenance/<LAD>/`, and the manifest records each distinct
 * file once, with how many LADs ran under it, so two nights can be told apart by the code they ran.
 */

/** The folder of a task's working directory whose files are its provenance. */
export const PROVENANCE_FOLDER = 'provenance';

/** Where a LAD's provenance files are kept in the run's container (no trailing slash). */
export const provenancePrefixOf = (lad: string): string => `_spc/provenance/${lad}`;

/** Distinct provenance files read into the manifest; more are counted, not read (a run should have one or two). */
export const MAX_DISTINCT_PROVENANCE = 20;
/** The part of a provenance file read (a larger file is cut there). */
export const MAX_PROVENANCE_BYTES = 64 * 1024;
const MAX_LINES = 200;
const MAX_VALUE_CHARS = 500;

/**
 * A provenance file's content: `key=value` lines (the install marker's form) as a record; other lines are kept
 * under `line<N>`. Bounded: at most 200 lines of 500 characters.
 */
export function parseProvenance(text: string): Record<string, string> {
  const record: Record<string, string> = {};
  text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0)
    .slice(0, MAX_LINES)
    .forEach((line, i) => {
      const eq = line.indexOf('=');
      const [key, value] = eq > 0 ? [line.slice(0, eq), line.slice(eq + 1)] : [`line${i + 1}`, line];
      record[key] = value.slice(0, MAX_VALUE_CHARS);
    });
  return record;
}

/** One listed provenance blob: `<LAD>/<file>` under `_spc/provenance/`, with the MD5 storage holds for it. */
export interface ListedProvenance {
  name: string;
  size: number;
  md5?: string;
}

/** Provenance files grouped by content: a key per distinct file (its name and MD5), the LADs that left it. */
export function groupProvenance(listed: readonly ListedProvenance[]): Map<string, { blob: string; size: number; file: string; lads: string[] }> {
  const groups = new Map<string, { blob: string; size: number; file: string; lads: string[] }>();
  for (const { name, size, md5 } of listed) {
    const slash = name.indexOf('/');
    if (slash <= 0) continue;
    const [lad, file] = [name.slice(0, slash), name.slice(slash + 1)];
    const key = `${file} ${md5 ?? ''}`;
    const group = groups.get(key) ?? { blob: name, size, file, lads: [] };
    group.lads.push(lad);
    groups.set(key, group);
  }
  return groups;
}
