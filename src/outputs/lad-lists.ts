/**
 * Reading LAD lists, pure: the 2011-based SPENSER list (column `LAD code`) and the 2020 lists (column `LAD20CD`).
 */
import { assertLadCode } from './contract';
import { parseCsvRecords } from './csv';

/** Column names that hold a LAD code, in order of preference. */
export const LAD_LIST_COLUMNS = ['LAD20CD', 'LAD code'] as const;

/**
 * The LAD codes of a list CSV with a `LAD20CD` or `LAD code` column, in file order.
 * @throws RangeError when the text is not CSV, neither column exists, a code is malformed (naming its line), or a code repeats
 */
export function parseLadList(csvText: string, source = 'LAD list'): string[] {
  let records: Record<string, string>[];
  try {
    records = parseCsvRecords(csvText);
  } catch (err) {
    throw err instanceof RangeError ? new RangeError(`${source}: ${err.message}`, { cause: err }) : err;
  }
  const column = LAD_LIST_COLUMNS.find((c) => records.length > 0 && c in records[0]);
  if (!column) throw new RangeError(`${source}: needs a column ${LAD_LIST_COLUMNS.map((c) => `"${c}"`).join(' or ')}`);
  const seen = new Set<string>();
  return records.map((record, i) => {
    const lad = record[column];
    assertLadCode(lad, `${source} line ${i + 2} ${column}`);
    if (seen.has(lad)) throw new RangeError(`${source} line ${i + 2}: ${column} "${lad}" is listed twice`);
    seen.add(lad);
    return lad;
  });
}
