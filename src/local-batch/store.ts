import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Durable state as a snapshot plus an append-only journal of whole records (upsert or delete), both JSON.
 * Changes are collected in memory and flushed together every `flushMs`, so a burst of task events costs one
 * write; a kill -9 loses at most that window (the OS keeps what was written). When the journal grows past
 * `compactBytes` the next flush writes a fresh snapshot (tmp + rename) and empties the journal. Replaying the
 * journal over a newer snapshot is harmless because every entry is a whole record.
 */
export type RecordKind = 'pool' | 'job' | 'task' | 'meta';

export interface JournalEntry {
  t: RecordKind;
  k: string;
  v: unknown | null;
}

export interface StoreOptions {
  dir: string;
  flushMs?: number;
  compactBytes?: number;
}

export class Store {
  private readonly snapshotFile: string;
  private readonly journalFile: string;
  private readonly flushMs: number;
  private readonly compactBytes: number;
  private readonly dirty = new Map<string, { t: RecordKind; k: string; get: () => unknown | null }>();
  private timer: NodeJS.Timeout | undefined;
  private journalFd: number;
  private journalBytes: number;
  /** Every live record, for compaction; set by the owner. */
  snapshotSource: (() => JournalEntry[]) | undefined;

  constructor(options: StoreOptions) {
    mkdirSync(options.dir, { recursive: true });
    this.snapshotFile = path.join(options.dir, 'state.json');
    this.journalFile = path.join(options.dir, 'journal.jsonl');
    this.flushMs = options.flushMs ?? 50;
    this.compactBytes = options.compactBytes ?? 32 * 1024 * 1024;
    this.journalFd = openSync(this.journalFile, 'a');
    this.journalBytes = statSync(this.journalFile).size;
  }

  /** Every record as last written: snapshot, then the journal replayed over it. */
  load(): Map<string, JournalEntry> {
    const records = new Map<string, JournalEntry>();
    if (existsSync(this.snapshotFile)) {
      for (const entry of JSON.parse(readFileSync(this.snapshotFile, 'utf8')) as JournalEntry[]) records.set(`${entry.t}:${entry.k}`, entry);
    }
    const journal = readFileSync(this.journalFile, 'utf8');
    for (const line of journal.split('\n')) {
      if (!line) continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line) as JournalEntry;
      } catch {
        continue; // a line torn by a crash mid-write
      }
      if (entry.v === null) records.delete(`${entry.t}:${entry.k}`);
      else records.set(`${entry.t}:${entry.k}`, entry);
    }
    return records;
  }

  /** Marks a record changed; `get` is called at flush time (null = deleted). */
  touch(t: RecordKind, k: string, get: () => unknown | null): void {
    this.dirty.set(`${t}:${k}`, { t, k, get });
    this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dirty.size > 0) {
      const lines: string[] = [];
      for (const { t, k, get } of this.dirty.values()) lines.push(JSON.stringify({ t, k, v: get() }));
      this.dirty.clear();
      const data = Buffer.from(lines.join('\n') + '\n');
      writeSync(this.journalFd, data);
      this.journalBytes += data.length;
    }
    if (this.snapshotSource && this.journalBytes > this.compactBytes) this.compact(this.snapshotSource());
  }

  /** Writes a snapshot of `entries` atomically and empties the journal. */
  compact(entries: JournalEntry[]): void {
    const tmp = `${this.snapshotFile}.tmp`;
    const fd = openSync(tmp, 'w');
    writeSync(fd, JSON.stringify(entries));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.snapshotFile);
    closeSync(this.journalFd);
    writeFileSync(this.journalFile, '');
    this.journalFd = openSync(this.journalFile, 'a');
    this.journalBytes = 0;
  }

  get journalSize(): number {
    return this.journalBytes;
  }

  close(): void {
    this.flush();
    if (this.timer) clearTimeout(this.timer);
    closeSync(this.journalFd);
  }
}
