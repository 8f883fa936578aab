/**
 * For the embedded Azurite (loaded by ./azurite-preload with `node --require`): lets its blob lookups use the index
 * on blob names.
 *
 * Azurite keeps blob metadata in LokiJS and asks for a blob as `{ accountName, containerName, name, snapshot }`.
 * LokiJS uses a binary index only for the first clause of such a query, and `accountName` matches every blob of the
 * account, so every read, write and SAS check scanned every blob: a run of N LADs cost O(N²) (measured with a CPU
 * profile of Azurite during a 3,000-LAD bench: 82 of its 170 busy seconds in LokiJS's `find`). A prefix listing is
 * `name: { $regex: '^prefix' }`, which no index serves. Here the name clause goes first, and a listing's literal
 * prefix becomes an index range with the `$regex` kept after it, so the result sets are the same.
 *
 * This changes how the emulator finds documents, not what it returns; production storage does not need it.
 */
import * as path from 'node:path';

type Clause = Record<string, unknown>;

/**
 * The literal prefix a `^...` pattern of Azurite's escaped prefix matches, when that prefix contains a `/`;
 * undefined otherwise. The `/` matters: LokiJS orders numeric-looking strings apart from the others, and no string
 * with a `/` looks numeric, so the index range holds exactly the names that start with the prefix.
 */
export function literalPrefixOf(pattern: string): string | undefined {
  if (!pattern.startsWith('^')) return undefined;
  let prefix = '';
  for (let i = 1; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[++i];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined; // \d, \w, ... are classes, not literals
      prefix += next;
    } else if ('^$*+?.()|[]{}'.includes(c)) {
      return undefined;
    } else {
      prefix += c;
    }
  }
  return prefix.includes('/') ? prefix : undefined;
}

/** The clauses of a query on blob names in an order LokiJS's index serves; undefined to leave the query as it is. */
export function nameFirst(query: Clause): Clause[] | undefined {
  const keys = Object.keys(query);
  if (!keys.includes('name') || keys.length < 2) return undefined;
  const rest = keys.filter((k) => k !== 'name').map((k) => ({ [k]: query[k] }));
  const name = query.name;
  if (name === null || typeof name !== 'object') return [{ name }, ...rest];
  const ops = Object.keys(name);
  const pattern = (name as { $regex?: unknown }).$regex;
  if (ops.length !== 1 || typeof pattern !== 'string') return undefined;
  const prefix = literalPrefixOf(pattern);
  if (prefix === undefined) return undefined;
  return [{ name: { $between: [prefix, `${prefix}\uffff`] } }, { name }, ...rest];
}

interface ResultsetLike {
  filterInitialized: boolean;
  collection: { binaryIndices: Record<string, unknown> };
  find(query: unknown, firstOnly?: boolean): ResultsetLike;
}

/** Patches LokiJS as Azurite resolves it. */
export function patchAzuriteLoki(): void {
  const azuriteDir = path.dirname(require.resolve('azurite/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loki = require(require.resolve('lokijs', { paths: [azuriteDir] })) as { Resultset: { prototype: ResultsetLike } };
  const find = loki.Resultset.prototype.find;
  loki.Resultset.prototype.find = function (this: ResultsetLike, query: unknown, firstOnly?: boolean) {
    const plain = query !== null && typeof query === 'object' && !Array.isArray(query);
    const clauses = plain && !this.filterInitialized && this.collection.binaryIndices.name ? nameFirst(query as Clause) : undefined;
    return find.call(this, clauses ? { $and: clauses } : query, firstOnly);
  };
}
