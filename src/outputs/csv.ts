/**
 * Minimal CSV reading for our inputs and outputs, pure. SPENSER outputs are plain comma-separated integers and area
 * codes (no quotes); the LAD lists quote their fields and one has a comma inside quotes and CRLF line ends, so the
 * record parser handles RFC 4180 quoting, and the fast path skips it when a line has no quote.
 */

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

/** Parses CSV text with a header row into records keyed by column name (a UTF-8 BOM is ignored). */
export function parseCsvRecords(text: string): Record<string, string>[] {
  const lines = splitLines(text.startsWith('\uFEFF') ? text.slice(1) : text);
  if (lines.length === 0) return [];
  const header = parseCsvLine(lines[0]).map((h) => h.trim());
  return lines.slice(1).filter((line) => line.trim() !== '').map((line) => {
    const cells = parseCsvLine(line);
    return Object.fromEntries(header.map((h, i) => [h, (cells[i] ?? '').trim()]));
  });
}
