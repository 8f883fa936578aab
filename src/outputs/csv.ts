/**
 * CSV reading for our inputs and outputs, pure. SPENSER outputs are plain comma-separated integers and area codes
 * (no quotes), read line by line on a fast path. Files with a header that people edit (the LAD lists, the 2020
 * mapping) go through csv-parse: RFC 4180 quoting, including commas and line breaks inside quotes, CRLF and a BOM.
 */
import { CsvError, parse } from 'csv-parse/sync';

/** Splits text into lines, accepting LF or CRLF, dropping only the empty remainder after a final line end. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

/** Splits one CSV line into cells, honouring double quotes (`""` inside quotes is a quote). */
export function parseCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/**
 * Parses CSV text with a header row into records keyed by column name (trimmed). A UTF-8 BOM is ignored, fields may
 * be quoted (holding commas, `""` and line breaks), lines end in LF or CRLF; blank rows are skipped, a short row's
 * missing cells are `""` and a long row's extra cells are dropped.
 * @throws RangeError for text that is not CSV (e.g. a quote never closed), naming the line
 */
export function parseCsvRecords(text: string): Record<string, string>[] {
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_empty_values: true, trim: true }) as string[][];
  } catch (err) {
    if (err instanceof CsvError) throw new RangeError(`not valid CSV: ${err.message}`, { cause: err });
    throw err;
  }
  const [header, ...records] = rows;
  if (!header) return [];
  const names = header.map((h) => h.trim());
  return records.map((cells) => Object.fromEntries(names.map((h, i) => [h, (cells[i] ?? '').trim()])));
}
