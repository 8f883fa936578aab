/**
 * The LokiJS patch preloaded into the embedded Azurite: with it, Azurite's query shapes (a blob by account,
 * container, name and snapshot; a prefix listing) return exactly the documents a plain filter finds, over names that
 * LokiJS orders unusually (numeric-looking ones, empty, non-ASCII). Pure: LokiJS in this process, no server.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { literalPrefixOf, nameFirst, patchAzuriteLoki } from '../../src/stack/azurite-indexed-queries';

interface BlobDoc {
  accountName: string;
  containerName: string;
  name: string;
  snapshot: string;
}
interface Collection {
  insert(doc: BlobDoc): void;
  find(query: object): BlobDoc[];
  findOne(query: object): BlobDoc | null;
}

const escapeRegex = (text: string) => text.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&'); // as Azurite escapes a prefix

describe("Azurite's blob queries through the name index", () => {
  let blobs: Collection;
  const docs: BlobDoc[] = [];
  before(() => {
    patchAzuriteLoki();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Loki = require(require.resolve('lokijs', { paths: [path.dirname(require.resolve('azurite/package.json'))] })) as new (file: string) => { addCollection(name: string, options: object): Collection };
    blobs = new Loki('test.db').addCollection('blobs', { indices: ['accountName', 'containerName', 'name', 'snapshot'] });
    const names = ['E06000001/a.csv', 'E06000001/b.csv', 'E06000002/a.csv', 'E0600000/x', '10', '2', '1e3', '10/x', '0x1F/y', '0x1F', 'Infinity', 'inputs/c.json', '_spc/lads/E06000001.json', 'Ä/ü', 'E06000001', ''];
    for (const account of ['acct', 'other']) {
      for (const container of ['run', 'old']) {
        for (const name of names) {
          const doc = { accountName: account, containerName: container, name, snapshot: '' };
          docs.push(doc);
          blobs.insert({ ...doc });
        }
      }
    }
    blobs.insert({ accountName: 'acct', containerName: 'run', name: 'E06000001/a.csv', snapshot: '2026-12-04T00:00:00Z' });
    docs.push({ accountName: 'acct', containerName: 'run', name: 'E06000001/a.csv', snapshot: '2026-12-04T00:00:00Z' });
  });

  const key = (d: BlobDoc) => `${d.accountName} ${d.containerName} ${d.name} ${d.snapshot}`;
  const sorted = (ds: BlobDoc[]) => ds.map(key).sort();

  it('finds one blob by account, container, name and snapshot, as a plain filter does', () => {
    for (const d of docs) {
      const found = blobs.findOne({ accountName: d.accountName, containerName: d.containerName, name: d.name, snapshot: d.snapshot });
      assert.equal(found && key(found), key(d));
    }
    assert.equal(blobs.findOne({ accountName: 'acct', containerName: 'run', name: 'E06000003/a.csv', snapshot: '' }), null);
  });

  it('lists by prefix exactly the names that start with it, whatever LokiJS thinks of their order', () => {
    for (const prefix of ['E06000001/', 'E0600000', 'E06000001', '10/', '1', '0x', '0x1F/', 'Inf', '_spc/lads/', 'Ä/', 'inputs/', 'E06000003/', 'a.b/']) {
      const listed = blobs.find({ name: { $regex: `^${escapeRegex(prefix)}` }, accountName: 'acct', containerName: 'run' });
      const expected = docs.filter((d) => d.name.startsWith(prefix) && d.accountName === 'acct' && d.containerName === 'run');
      assert.deepEqual(sorted(listed), sorted(expected), prefix);
    }
  });

  it('uses an index range only for a literal prefix with a slash, and leaves other queries as they are', () => {
    assert.equal(literalPrefixOf(`^${escapeRegex('E06000001/')}`), 'E06000001/');
    assert.equal(literalPrefixOf(`^${escapeRegex('a.b(c)/')}`), 'a.b(c)/');
    assert.equal(literalPrefixOf('^E06'), undefined, 'no slash: numeric-looking names would be outside the range');
    assert.equal(literalPrefixOf('^E\\d+/'), undefined);
    assert.equal(literalPrefixOf('E06/'), undefined);
    assert.deepEqual(nameFirst({ accountName: 'a', name: 'n' }), [{ name: 'n' }, { accountName: 'a' }]);
    assert.deepEqual(nameFirst({ name: { $regex: '^x\\/' }, containerName: 'c' }), [{ name: { $between: ['x/', 'x/\uffff'] } }, { name: { $regex: '^x\\/' } }, { containerName: 'c' }]);
    assert.equal(nameFirst({ name: { $regex: '^x\\/', $gt: 'm' }, accountName: 'a' }), undefined);
    assert.equal(nameFirst({ accountName: 'a', containerName: 'c' }), undefined);
    assert.equal(nameFirst({ name: 'n' }), undefined);
  });
});
