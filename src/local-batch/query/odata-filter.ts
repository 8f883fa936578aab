import { BatchError } from '../http/errors';

/**
 * A small OData $filter parser for the forms the Batch service documents: comparisons (`eq ne lt le gt ge`) of a
 * property path (`state`, `executionInfo/exitCode`) with a string, number, boolean or datetime literal,
 * `startswith(path,'prefix')`, parentheses, and `and` binding tighter than `or`. Each list allows only its own
 * properties and operators (`filter-properties.ts`); anything else is a 400 naming the property or operator.
 */
export type Predicate = (entity: object) => boolean;

/** The operators a filter may apply to a property: comparisons, and the string functions by name. */
export type FilterOperator = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'startswith' | 'endswith' | 'substringof';
export type FilterType = 'String' | 'Int' | 'DateTime' | 'Bool';
/** Filterable properties of one list operation: path → type and allowed operators. */
export type FilterSpec = Record<string, { type: FilterType; ops: readonly FilterOperator[] }>;

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

const literalType = (value: Literal): FilterType | 'null' =>
  value === null ? 'null' : typeof value === 'number' ? 'Int' : typeof value === 'boolean' ? 'Bool' : 'String';

/**
 * Parses `filter` into a predicate over the properties `spec` allows; throws 400 InvalidQueryParameterValue (its
 * Reason names the property or operator) when it cannot.
 */
export function parseFilter(filter: string, spec: FilterSpec, listName: string): Predicate {
  const allow = (property: string, op: FilterOperator, value: Literal) => {
    const entry = spec[property];
    if (!entry) throw invalid(filter, `Property '${property}' cannot be used in a filter of ${listName}; filterable: ${Object.keys(spec).join(', ')}.`);
    if (!entry.ops.includes(op)) throw invalid(filter, `Operator '${op}' cannot be applied to '${property}' in ${listName}; allowed: ${entry.ops.join(', ')}.`);
    const type = literalType(value);
    // DateTime values are written datetime'…' (read as their string); null is compared like any value.
    const fits = type === 'null' || type === entry.type || (entry.type === 'DateTime' && type === 'String' && !Number.isNaN(Date.parse(String(value))));
    if (!fits) throw invalid(filter, `'${property}' is ${entry.type}; the value ${JSON.stringify(value)} is not.`);
  };
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
    if (t.kind === 'word' && t.text === 'not') throw invalid(filter, "Operator 'not' is not supported; Batch filters combine conditions with 'and' and 'or'.");
    if (t.kind === 'word' && (t.text === 'startswith' || t.text === 'endswith' || t.text === 'substringof')) {
      const fn = t.text;
      expect('(');
      // OData v3 argument order: startswith(property,'prefix'), endswith(property,'suffix'), substringof('part',property).
      const first = peek();
      let path: Token | undefined;
      let value: Literal;
      if (fn === 'substringof') {
        value = literal();
        expect(',');
        path = next();
      } else {
        path = next();
        expect(',');
        value = literal();
      }
      expect(')');
      if (path?.kind !== 'word' || typeof value !== 'string') {
        throw invalid(filter, fn === 'substringof' ? `substringof needs a string then a property, got '${first?.text ?? ''}' first` : `${fn} needs a property and a string`);
      }
      allow(path.text, fn, value);
      const needle = value.toLowerCase();
      return (e) => {
        const v = resolvePath(e, path.text);
        if (typeof v !== 'string') return false;
        const s = v.toLowerCase();
        return fn === 'startswith' ? s.startsWith(needle) : fn === 'endswith' ? s.endsWith(needle) : s.includes(needle);
      };
    }
    if (t.kind === 'word') {
      const op = next();
      if (!op || !['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(op.text)) throw invalid(filter, `expected a comparison after '${t.text}'`);
      const value = literal();
      allow(t.text, op.text as FilterOperator, value);
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
