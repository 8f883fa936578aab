/**
 * The 2011-to-2020 LAD merge (design.md section 2, issue 6 item 5), pure: which 2011-based LADs make each 2020 LAD,
 * and concatenating their assigned files for one year with PID and HID renumbered.
 *
 * Renumbering is dense and in concatenation order: the merged people file's PIDs are 0..N-1 and the merged household
 * file's HIDs 0..M-1, so a single-source "merge" (a renamed LAD) of dense input keeps its ids. References (HID in
 * people, HRPID in households) are mapped through the same tables; -1 stays -1. Input is validated as it is read, so
 * a broken part is reported by part, file and line instead of yielding a merged file that breaks the invariants.
 */
import { assertLadCode } from './contract';
import { parseCsvRecords, splitLines } from './csv';

/** Columns of the mapping file (`old_to_new_mapping.csv`): `Old name,New name,Old code,Updated code`. */
export const MAPPING_OLD_CODE = 'Old code';
export const MAPPING_NEW_CODE = 'Updated code';

/**
 * Reads the mapping CSV into new LAD code -> old LAD codes (file order, no repeats). Rows whose old and new codes are
 * equal (a renamed district, e.g. Shepway to Folkestone and Hythe) map the code to itself.
 * @throws RangeError naming the line of a malformed code or a missing column
 */
export function parseLadMapping(csvText: string): Map<string, string[]> {
  const records = parseCsvRecords(csvText);
  const mapping = new Map<string, string[]>();
  records.forEach((record, i) => {
    const oldCode = record[MAPPING_OLD_CODE];
    const newCode = record[MAPPING_NEW_CODE];
    assertLadCode(oldCode, `mapping line ${i + 2} "${MAPPING_OLD_CODE}"`);
    assertLadCode(newCode, `mapping line ${i + 2} "${MAPPING_NEW_CODE}"`);
    const olds = mapping.get(newCode) ?? [];
    if (!olds.includes(oldCode)) olds.push(oldCode);
    mapping.set(newCode, olds);
  });
  return mapping;
}

/** How one 2020 LAD is made from the 2011-based outputs. */
export interface MergePlanEntry {
  /** The 2020 LAD code. */
  lad: string;
  /** The 2011-based LADs whose outputs make it, in mapping order. */
  sources: string[];
  /** `same`: the code exists in both lists; `renamed`: one source under another code; `merged`: several sources. */
  kind: 'same' | 'renamed' | 'merged';
}

/**
 * Plans the merge: for each 2020 LAD, the 2011-based LADs that make it. A code present in both lists is kept as is
 * (the mapping also holds older changes, e.g. 2009's, whose results are already in the 2011-based list).
 * @throws RangeError when a 2020 LAD has no source in the old list, or an old LAD would feed two new ones
 */
export function planMerge2020(
  newLads: readonly string[],
  oldLads: readonly string[],
  mapping: ReadonlyMap<string, readonly string[]>,
): MergePlanEntry[] {
  const old = new Set(oldLads);
  const usedBy = new Map<string, string>();
  return newLads.map((lad) => {
    const sources = old.has(lad) ? [lad] : (mapping.get(lad) ?? []).filter((code) => old.has(code));
    if (sources.length === 0) throw new RangeError(`2020 LAD "${lad}" is not in the old list and no old LAD maps to it`);
    for (const source of sources) {
      const other = usedBy.get(source);
      if (other !== undefined) throw new RangeError(`old LAD "${source}" would feed both "${other}" and "${lad}"`);
      usedBy.set(source, lad);
    }
    const kind = old.has(lad) ? 'same' : sources.length === 1 ? 'renamed' : 'merged';
    return { lad, sources, kind };
  });
}

/** One old LAD's assigned files for one year, as CSV text. */
export interface AssignedYearFiles {
  /** `ass_<LAD>_MSOA11_<Y>.csv`: people columns then `HID`. */
  people: string;
  /** `ass_hh_<LAD>_OA11_<Y>.csv`: household columns then `HRPID`, `FILLED`. */
  households: string;
}

/** A parsed file: rows as cells, the index of its id column and its reference column, and id -> row index. */
interface IdTable {
  header: string;
  columns: string[];
  rows: string[][];
  ids: Map<string, number>;
  id: number;
  ref: number;
}

/** Parses and validates one file; ids are keyed by their canonical decimal form. */
function readTable(text: string, where: string, idColumn: string, refColumn: string): IdTable {
  const lines = splitLines(text);
  if (lines.length === 0) throw new RangeError(`${where}: no header`);
  const columns = lines[0].split(',');
  const id = columns.indexOf(idColumn);
  const ref = columns.indexOf(refColumn);
  if (id < 0 || ref < 0) throw new RangeError(`${where}: needs columns ${idColumn} and ${refColumn} (got ${lines[0]})`);
  const ids = new Map<string, number>();
  const rows = lines.slice(1).map((line, i) => {
    const cells = line.split(',');
    const at = `${where} line ${i + 2}`;
    if (cells.length !== columns.length) throw new RangeError(`${at}: ${cells.length} cells, header has ${columns.length}`);
    const blank = cells.findIndex((c) => c === '');
    if (blank >= 0) throw new RangeError(`${at}: empty ${columns[blank]}`);
    if (!/^\d+$/.test(cells[id])) throw new RangeError(`${at}: ${idColumn} "${cells[id]}" must be an integer >= 0`);
    if (!/^(-1|\d+)$/.test(cells[ref])) throw new RangeError(`${at}: ${refColumn} "${cells[ref]}" must be -1 or an integer >= 0`);
    const key = String(Number(cells[id]));
    if (ids.has(key)) throw new RangeError(`${at}: ${idColumn} ${key} repeats`);
    ids.set(key, ids.size);
    return cells;
  });
  return { header: lines[0], columns, rows, ids, id, ref };
}

/** Appends `table`'s rows to `out` with ids shifted to `base + row index` and references mapped through `refIds`. */
function renumber(table: IdTable, base: number, refIds: ReadonlyMap<string, number>, refBase: number, where: string, out: string[]): void {
  table.rows.forEach((cells, i) => {
    const row = cells.slice();
    row[table.id] = String(base + i);
    if (cells[table.ref] !== '-1') {
      const target = refIds.get(String(Number(cells[table.ref])));
      if (target === undefined) throw new RangeError(`${where} line ${i + 2}: ${table.columns[table.ref]} ${cells[table.ref]} points at no row`);
      row[table.ref] = String(refBase + target);
    }
    out.push(row.join(','));
  });
}

/**
 * Concatenates several old LADs' assigned files of one year into the new LAD's, renumbering PID and HID densely in
 * concatenation order and mapping HID (people) and HRPID (households) through the new numbers; -1 stays -1.
 * @param parts the old LADs' files, in the order their rows should appear
 * @returns the merged people and household CSV texts (LF line ends, final newline)
 * @throws RangeError when parts differ in columns, a cell is empty, an id repeats or is negative, or a reference
 *   points at no row of its own part (naming part, file and line)
 */
export function mergeAssignedYear(parts: readonly AssignedYearFiles[]): AssignedYearFiles {
  if (parts.length === 0) throw new RangeError('parts must hold at least one LAD\'s files');
  const tables = parts.map((part, p) => ({
    people: readTable(part.people, `part ${p} people`, 'PID', 'HID'),
    households: readTable(part.households, `part ${p} households`, 'HID', 'HRPID'),
  }));
  for (const [p, t] of tables.entries()) {
    if (t.people.header !== tables[0].people.header) throw new RangeError(`part ${p} people: columns differ from part 0's`);
    if (t.households.header !== tables[0].households.header) throw new RangeError(`part ${p} households: columns differ from part 0's`);
  }
  const peopleOut = [tables[0].people.header];
  const householdsOut = [tables[0].households.header];
  let pidBase = 0;
  let hidBase = 0;
  for (const [p, t] of tables.entries()) {
    renumber(t.people, pidBase, t.households.ids, hidBase, `part ${p} people`, peopleOut);
    renumber(t.households, hidBase, t.people.ids, pidBase, `part ${p} households`, householdsOut);
    pidBase += t.people.rows.length;
    hidBase += t.households.rows.length;
  }
  return { people: `${peopleOut.join('\n')}\n`, households: `${householdsOut.join('\n')}\n` };
}

/**
 * Checks the invariants of one year's assigned files (merged or not), returning one line per problem (none: valid):
 * PID and HID unique and >= 0, HID in people -1 or a household's HID, HRPID -1 or a person's PID and unique where
 * not -1, no empty cell, every row as wide as its header.
 */
export function checkAssignedYear(files: AssignedYearFiles): string[] {
  const problems: string[] = [];
  try {
    const people = readTable(files.people, 'people', 'PID', 'HID');
    const households = readTable(files.households, 'households', 'HID', 'HRPID');
    const hrps = new Set<string>();
    for (const [i, cells] of people.rows.entries()) {
      if (cells[people.ref] !== '-1' && !households.ids.has(String(Number(cells[people.ref])))) {
        problems.push(`people line ${i + 2}: HID ${cells[people.ref]} is no household's`);
      }
    }
    for (const [i, cells] of households.rows.entries()) {
      const hrp = cells[households.ref];
      if (hrp === '-1') continue;
      if (!people.ids.has(String(Number(hrp)))) problems.push(`households line ${i + 2}: HRPID ${hrp} is no person's`);
      if (hrps.has(hrp)) problems.push(`households line ${i + 2}: HRPID ${hrp} heads two households`);
      hrps.add(hrp);
    }
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}
