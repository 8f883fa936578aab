import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Store } from '../../src/local-batch/model/store';

describe('local Batch store: snapshot + journal', () => {
  it('replays upserts and deletes, survives compaction and a torn last line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spc-store-'));
    try {
      const records = new Map<string, { n: number }>();
      const store = new Store({ dir, flushMs: 1, compactBytes: 2000 });
      store.snapshotSource = () => [...records].map(([k, v]) => ({ t: 'task' as const, k, v }));
      for (let i = 0; i < 100; i++) {
        const key = `k${i % 10}`;
        records.set(key, { n: i });
        store.touch('task', key, () => records.get(key) ?? null);
        if (i % 7 === 0) await store.durable();
      }
      records.delete('k3');
      store.touch('task', 'k3', () => null);
      await store.close();
      assert.ok(store.journalSize < 2000, 'compaction emptied the journal at least once');
      appendFileSync(path.join(dir, 'journal.jsonl'), '{"t":"task","k":"k4","v":{"n":-1');
      const reopened = new Store({ dir });
      const loaded = reopened.load();
      await reopened.close();
      assert.equal(loaded.size, 9);
      assert.equal(loaded.has('task:k3'), false);
      for (let i = 0; i < 10; i++) if (i !== 3) assert.deepEqual(loaded.get(`task:k${i}`)?.v, { n: 90 + i });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
