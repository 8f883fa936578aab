import { chmodSync, closeSync, existsSync, fdatasync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, statSync, truncateSync, write, writeFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { GroupCommit } from './group-commit';

/**
 * Durable state as a snapshot plus an append-only journal of whole records (upsert or delete), both JSON.
 *
 * Changes are collected in memory and appended in groups (group-commit.ts): `durable()` resolves once everything
 * changed before the call is in the journal and fdatasync'd, and the server answers a mutating request only then,
 * so an acknowledged add survives kill -9 and power loss alike. Changes nobody waits for (task state moves made by
 * the service itself) ride along with the next group or are flushed `flushMs` later; a crash in that window loses
 * them, which a restart repairs (running tasks are requeued). When the journal grows past `compactBytes` a fresh
 * snapshot is written (tmp + rename) and the journal emptied. Replaying the journal over a newer snapshot is
 * harmless because every entry is a whole record.
 */
export type RecordKind = 'pool' | 'job' | 'task' | 'meta';

export interface JournalEntry {
  t: RecordKind;
  k: string;
  v: unknown | null;
}

export interface StoreOptions {
  dir: string;
  /** Longest a change nobody waits for stays in memory, in ms. @default 50 */
  flushMs?: number;
  /** Journal size that triggers a compaction, in bytes. @default 32 MiB */
  compactBytes?: number;
  /** fdatasync each group (kill -9 alone needs only the write; power loss needs the sync). @default true */
  syncEachGroup?: boolean;
}

type Dirty = { t: RecordKind; k: string; get: () => unknown | null };

export class Store {
  private readonly snapshotFile: string;
  private readonly journalFile: string;
  private readonly flushMs: number;
  private readonly compactBytes: number;
  private readonly syncEachGroup: boolean;
  private dirty = new Map<string, Dirty>();
  private timer: NodeJS.Timeout | undefined;
  private journalFd: number;
  private journalBytes: number;
  private readonly groups = new GroupCommit(() => this.appendDirty());
  private closed = false;
  /** Every live record, for compaction; set by the owner. */
  snapshotSource: (() => JournalEntry[]) | undefined;

  constructor(options: StoreOptions) {
    // Only the service reads its state: the journal holds every SAS URL and environment setting it was sent.
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    chmodSync(options.dir, 0o700);
    this.snapshotFile = path.join(options.dir, 'state.json');
    this.journalFile = path.join(options.dir, 'journal.jsonl');
    this.flushMs = options.flushMs ?? 50;
    this.compactBytes = options.compactBytes ?? 32 * 1024 * 1024;
    this.syncEachGroup = options.syncEachGroup ?? true;
    const created = !existsSync(this.journalFile);
    this.journalFd = openSync(this.journalFile, 'a', 0o600);
    chmodSync(this.journalFile, 0o600);
    this.journalBytes = statSync(this.journalFile).size;
    if (created && this.syncEachGroup) syncDir(options.dir);
  }

  /** Every record as last written: snapshot, then the journal replayed over it (a torn last line is cut off). */
  load(): Map<string, JournalEntry> {
    const records = new Map<string, JournalEntry>();
    if (existsSync(this.snapshotFile)) {
      for (const entry of JSON.parse(readFileSync(this.snapshotFile, 'utf8')) as JournalEntry[]) records.set(`${entry.t}:${entry.k}`, entry);
    }
    const journal = readFileSync(this.journalFile);
    const end = journal.lastIndexOf(0x0a) + 1;
    if (end < journal.length) {
      // A crash mid-append: cut the torn tail, or the next group's first record would be glued to it and lost.
      truncateSync(this.journalFile, end);
      this.journalBytes = end;
    }
    for (const line of journal.subarray(0, end).toString('utf8').split('\n')) {
      if (!line) continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line) as JournalEntry;
      } catch {
        continue;
      }
      if (entry.v === null) records.delete(`${entry.t}:${entry.k}`);
      else records.set(`${entry.t}:${entry.k}`, entry);
    }
    return records;
  }

  /** Marks a record changed; `get` is called when its group is written (null = deleted). */
  touch(t: RecordKind, k: string, get: () => unknown | null): void {
    this.dirty.set(`${t}:${k}`, { t, k, get });
    if (this.closed) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.groups.commit().catch((err: unknown) => console.error('local-batch: journal write failed', err));
    }, this.flushMs);
  }

  /** Resolves once every change made before the call is in the journal (and synced); rejects if that write failed. */
  durable(): Promise<void> {
    if (this.dirty.size > 0) return this.groups.commit();
    return this.groups.current ?? Promise.resolve();
  }

  /** One group: the dirty records as they are now, appended in one write, then fdatasync. */
  private async appendDirty(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dirty.size === 0) return;
    const group = this.dirty;
    this.dirty = new Map();
    const lines: string[] = [];
    for (const { t, k, get } of group.values()) lines.push(JSON.stringify({ t, k, v: get() }));
    const data = Buffer.from(lines.join('\n') + '\n');
    try {
      await writeAll(this.journalFd, data);
      if (this.syncEachGroup) await datasync(this.journalFd);
    } catch (err) {
      // Nothing of a failed group counts: cut what reached the file and keep its records dirty for the next one.
      try {
        ftruncateSync(this.journalFd, this.journalBytes);
      } catch {
        // The next load cuts a torn tail anyway.
      }
      for (const [key, entry] of group) if (!this.dirty.has(key)) this.dirty.set(key, entry);
      throw err;
    }
    this.journalBytes += data.length;
    if (this.snapshotSource && this.journalBytes > this.compactBytes) this.compact(this.snapshotSource());
  }

  /** Writes a snapshot of `entries` atomically and empties the journal (only between groups). */
  compact(entries: JournalEntry[]): void {
    const tmp = `${this.snapshotFile}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    writeSync(fd, JSON.stringify(entries));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.snapshotFile);
    syncDir(path.dirname(this.snapshotFile));
    closeSync(this.journalFd);
    writeFileSync(this.journalFile, '', { mode: 0o600 });
    this.journalFd = openSync(this.journalFile, 'a', 0o600);
    this.journalBytes = 0;
  }

  get journalSize(): number {
    return this.journalBytes;
  }

  /** Writes what is left and closes the journal. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      await this.durable();
    } finally {
      closeSync(this.journalFd);
    }
  }
}

function writeAll(fd: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const from = (offset: number) =>
      write(fd, data, offset, data.length - offset, null, (err, written) => {
        if (err) reject(err);
        else if (offset + written < data.length) from(offset + written);
        else resolve();
      });
    from(0);
  });
}

function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

/** fsync of a directory, so a file created or renamed in it survives power loss. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
