/**
 * Facts about output files and the per-LAD diff between two runs (the nightly diff's core), pure.
 *
 * A file's facts are its name (relative to the LAD folder), size in bytes, MD5 (hex or base64, compared as given, so
 * use one form on both sides) and, when known, its data row count (lines after the header).
 */
import { parseCsvLine } from './csv';

/** What a CSV holds: data rows (header excluded) and the header's column names. */
export interface CsvSummary {
  rows: number;
  columns: string[];
}

/** Summarises CSV text: rows after the header (a missing final newline and CRLF are fine), and the header's columns. */
export function summariseCsv(text: string): CsvSummary {
  const counter = new CsvCounter();
  counter.push(text);
  return counter.finish();
}

const LF = 0x0a;

/**
 * Counts a CSV's rows chunk by chunk, for files too big to hold as text (e.g. while hashing a download stream).
 * Uses no Node Buffer, so workflow code may use it too.
 * @example
 * const counter = new CsvCounter();
 * for await (const chunk of stream) counter.push(chunk);
 * const { rows, columns } = counter.finish();
 */
export class CsvCounter {
  private lineEnds = 0;
  private endsWithLf = false;
  private empty = true;
  private header = '';
  private headerDone = false;
  private readonly decoder = new TextDecoder();

  /** Adds the next chunk (UTF-8 bytes or text). */
  push(chunk: Uint8Array | string): void {
    if (chunk.length === 0) return;
    this.empty = false;
    const text = typeof chunk === 'string';
    if (!this.headerDone) {
      const end = text ? chunk.indexOf('\n') : chunk.indexOf(LF);
      const head = end < 0 ? chunk : chunk.slice(0, end);
      this.header += typeof head === 'string' ? head : this.decoder.decode(head, { stream: end < 0 });
      this.headerDone = end >= 0;
    }
    if (text) {
      for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) this.lineEnds++;
      this.endsWithLf = chunk.endsWith('\n');
    } else {
      for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) this.lineEnds++;
      this.endsWithLf = chunk[chunk.length - 1] === LF;
    }
  }

  /** The summary of everything pushed. Empty input has no columns and no rows. */
  finish(): CsvSummary {
    if (this.empty) return { rows: 0, columns: [] };
    const lines = this.lineEnds + (this.endsWithLf ? 0 : 1);
    const header = (this.header + (this.headerDone ? '' : this.decoder.decode())).replace(/^\uFEFF/, '').replace(/\r$/, '');
    return { rows: Math.max(0, lines - 1), columns: parseCsvLine(header) };
  }
}

/** Facts recorded for one output file (e.g. in the manifest). */
export interface FileFacts {
  name: string;
  size: number;
  md5: string;
  rows?: number;
}

/** A file present in both runs whose content differs. */
export interface ChangedFile {
  name: string;
  previous: FileFacts;
  current: FileFacts;
  /** current.size - previous.size, in bytes. */
  sizeDelta: number;
  /** current.rows - previous.rows, when both are known. */
  rowsDelta?: number;
}

/** The difference between one LAD's outputs in two runs. */
export interface LadOutputDiff {
  /** Files only in the current run, by name. */
  added: FileFacts[];
  /** Files only in the previous run, by name. */
  missing: FileFacts[];
  /** Files in both whose MD5 differs, by name. */
  changed: ChangedFile[];
  /** Files in both with the same MD5. */
  unchanged: number;
}

/**
 * Compares one LAD's outputs between the previous and the current run; content is compared by MD5 only.
 * @throws RangeError when a side lists a name twice
 */
export function diffLadOutputs(previous: readonly FileFacts[], current: readonly FileFacts[]): LadOutputDiff {
  const before = byName(previous, 'previous');
  const after = byName(current, 'current');
  const diff: LadOutputDiff = { added: [], missing: [], changed: [], unchanged: 0 };
  for (const [name, now] of after) {
    const then = before.get(name);
    if (!then) diff.added.push(now);
    else if (then.md5 === now.md5) diff.unchanged++;
    else {
      const change: ChangedFile = { name, previous: then, current: now, sizeDelta: now.size - then.size };
      if (then.rows !== undefined && now.rows !== undefined) change.rowsDelta = now.rows - then.rows;
      diff.changed.push(change);
    }
  }
  for (const [name, then] of before) if (!after.has(name)) diff.missing.push(then);
  return diff;
}

/** True when the diff shows no added, missing or changed file. */
export const isUnchanged = (diff: LadOutputDiff): boolean =>
  diff.added.length === 0 && diff.missing.length === 0 && diff.changed.length === 0;

/**
 * One line for summaries and logs, e.g. `no change (69 files)` or `2 changed (rows +14, bytes +380), 1 missing, 66 unchanged`.
 */
export function describeLadOutputDiff(diff: LadOutputDiff): string {
  if (isUnchanged(diff)) return `no change (${diff.unchanged} files)`;
  const parts: string[] = [];
  if (diff.changed.length > 0) {
    const rows = diff.changed.reduce((sum, c) => sum + (c.rowsDelta ?? 0), 0);
    const bytes = diff.changed.reduce((sum, c) => sum + c.sizeDelta, 0);
    const rowsKnown = diff.changed.some((c) => c.rowsDelta !== undefined);
    parts.push(`${diff.changed.length} changed (${rowsKnown ? `rows ${signed(rows)}, ` : ''}bytes ${signed(bytes)})`);
  }
  if (diff.added.length > 0) parts.push(`${diff.added.length} added`);
  if (diff.missing.length > 0) parts.push(`${diff.missing.length} missing`);
  parts.push(`${diff.unchanged} unchanged`);
  return parts.join(', ');
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

function byName(files: readonly FileFacts[], side: string): Map<string, FileFacts> {
  const map = new Map<string, FileFacts>();
  for (const file of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (map.has(file.name)) throw new RangeError(`${side}: file "${file.name}" is listed twice`);
    map.set(file.name, file);
  }
  return map;
}
