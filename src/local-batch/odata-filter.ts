import { BatchError } from './errors';

/**
 * A small OData $filter parser for the forms the Batch service documents: comparisons (`eq ne lt le gt ge`) of a
 * property path (`state`, `executionInfo/exitCode`) with a string, number, boolean or datetime literal,
 * `startswith(path,'prefix')`, `not`, parentheses, and `and` binding tighter than `or`.
 */
export type Predicate = (entity: object) => boolean;

type Token = { kind: 'word' | 'string' | 'number' | 'punct'; text: string };

function invalid(filter: string, reason: string): BatchError {
  return new BatchError(400, 'InvalidQueryParameterValue', 'Value for one of the query parameters specified in the request URI is invalid.', [
    { key: 'QueryParameterName', value: '$filter' },
    { key: 'QueryParameterValue', value: filter },
    { key: 'Reason', value: reason },
  ]);
}

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const c = filter[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: 'punct', text: c });
      i++;
    } else if (c === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= filter.length) throw invalid(filter, 'unterminated string literal');
        if (filter[i] === "'") {
          if (filter[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += filter[i++];
      }
      tokens.push({ kind: 'string', text });
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(filter.slice(i));
      if (!m) throw invalid(filter, `unexpected '${c}'`);
      tokens.push({ kind: 'number', text: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_/]*/.exec(filter.slice(i))!;
      i += m[0].length;
      if (m[0] === 'datetime' && filter[i] === "'") continue; // datetime'...' is read as its string
      tokens.push({ kind: 'word', text: m[0] });
    } else {
      throw invalid(filter, `unexpected '${c}'`);
    }
  }
  return tokens;
}

function resolvePath(entity: object, path: string): unknown {
  let value: unknown = entity;
  for (const part of path.split('/')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

type Literal = string | number | boolean | null;

function compare(left: unknown, op: string, right: Literal): boolean {
  if (left === undefined || left === null) return op === 'eq' ? right === null : op === 'ne' ? right !== null : false;
  let a: string | number | boolean = left as string | number | boolean;
  let b = right as string | number | boolean;
  if (typeof a === 'string' && typeof b === 'string' && /^\d{4}-\d\d-\d\dT/.test(a) && /^\d{4}-\d\d-\d\dT/.test(b)) {
    a = Date.parse(a);
    b = Date.parse(b);
  } else if (typeof a === 'string' && typeof b === 'string' && op !== 'eq' && op !== 'ne') {
    // ordered string comparisons are ordinal
  } else if (typeof a === 'string' && typeof b === 'string') {
    a = a.toLowerCase();
    b = b.toLowerCase();
  }
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
  }
  return false;
}

/** Parses `filter` into a predicate; throws 400 InvalidQueryParameterValue when it cannot. */
export function parseFilter(filter: string): Predicate {
  const tokens = tokenize(filter);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const expect = (text: string) => {
    const t = next();
    if (!t || t.text !== text) throw invalid(filter, `expected '${text}'`);
  };
  const literal = (): Literal => {
    const t = next();
    if (!t) throw invalid(filter, 'expected a literal');
    if (t.kind === 'string') return t.text;
    if (t.kind === 'number') return Number(t.text);
    if (t.kind === 'word' && (t.text === 'true' || t.text === 'false')) return t.text === 'true';
    if (t.kind === 'word' && t.text === 'null') return null;
    throw invalid(filter, `expected a literal, got '${t.text}'`);
  };
  const primary = (): Predicate => {
    const t = next();
    if (!t) throw invalid(filter, 'unexpected end of filter');
    if (t.text === '(') {
      const inner = orExpr();
      expect(')');
      return inner;
    }
    if (t.kind === 'word' && t.text === 'not') {
      const inner = primary();
      return (e) => !inner(e);
    }
    if (t.kind === 'word' && (t.text === 'startswith' || t.text === 'endswith' || t.text === 'substringof')) {
      expect('(');
      const path = next();
      expect(',');
      const value = literal();
      expect(')');
      if (path?.kind !== 'word' || typeof value !== 'string') throw invalid(filter, `${t.text} needs a property and a string`);
      const prefix = value.toLowerCase();
      const fn = t.text;
      return (e) => {
        const v = resolvePath(e, path.text);
        if (typeof v !== 'string') return false;
        const s = v.toLowerCase();
        return fn === 'startswith' ? s.startsWith(prefix) : fn === 'endswith' ? s.endsWith(prefix) : s.includes(prefix);
      };
    }
    if (t.kind === 'word') {
      const op = next();
      if (!op || !['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(op.text)) throw invalid(filter, `expected a comparison after '${t.text}'`);
      const value = literal();
      return (e) => compare(resolvePath(e, t.text), op.text, value);
    }
    throw invalid(filter, `unexpected '${t.text}'`);
  };
  const andExpr = (): Predicate => {
    let left = primary();
    while (peek()?.kind === 'word' && peek().text === 'and') {
      next();
      const l = left;
      const r = primary();
      left = (e) => l(e) && r(e);
    }
    return left;
  };
  const orExpr = (): Predicate => {
    let left = andExpr();
    while (peek()?.kind === 'word' && peek().text === 'or') {
      next();
      const l = left;
      const r = andExpr();
      left = (e) => l(e) || r(e);
    }
    return left;
  };
  const predicate = orExpr();
  if (pos !== tokens.length) throw invalid(filter, `unexpected '${tokens[pos].text}'`);
  return predicate;
}
