import type { Engine } from '../model/engine';
import { BatchError, invalidProperty } from './errors';
import { metadataUrl, type Reply, type Request } from './request-reply';
import type { FilterableList } from '../query/filter-properties';
import { parseFilter, type Predicate } from '../query/odata-filter';

/** A route: method, a pattern over the raw path (segments captured and percent-decoded), its REST operationId. */
export type Handler = (engine: Engine, req: Request, params: string[]) => Reply | Promise<Reply>;
export interface Route {
  method: string;
  pattern: RegExp;
  operation: string;
  handler: Handler;
}

export const route = (method: string, path: string, operation: string, handler: Handler): Route => ({
  method,
  pattern: new RegExp(`^${path.replace(/\{[^}]+\*\}/g, '(.+)').replace(/\{[^}]+\}/g, '([^/]+)')}/?$`),
  operation,
  handler,
});

/** The `$select` projection, or the whole object. */
export function project(entity: object, select: string | undefined): Record<string, unknown> {
  if (!select) return entity as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const name of select.split(',').map((s) => s.trim())) {
    if (name && name in entity) out[name] = (entity as Record<string, unknown>)[name];
  }
  return out;
}

export function maxResultsOf(req: Request): number {
  const raw = req.query.get('maxresults');
  if (raw === undefined) return 1000;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 1000) {
    throw new BatchError(400, 'OutOfRangeQueryParameterValue', 'One of the query parameters specified in the request URI is outside the permissible range.', [
      { key: 'QueryParameterName', value: 'maxresults' },
      { key: 'QueryParameterValue', value: raw },
    ]);
  }
  return value;
}

export function filterOf(req: Request, list: FilterableList): Predicate | undefined {
  const filter = req.query.get('$filter');
  return filter ? parseFilter(filter, list.spec, list.name) : undefined;
}

/** Absolute next link carrying every query parameter plus the resume token, since SDKs fetch it verbatim. */
export function nextLink(req: Request, token: string): string {
  const params = new Map(req.query);
  params.delete('timeout');
  params.set('$skiptoken', token);
  const query = [...params].map(([k, v]) => `${encodeURIComponent(k).replace(/%24/g, '$')}=${encodeURIComponent(v)}`).join('&');
  return `${req.origin}${req.rawPath}?${query}`;
}

/**
 * One page of a list over items in a stable order of increasing keys (a creation sequence number, or an id):
 * resumes after the token's key, applies the filter, stops at maxresults and links the rest. Keys, not positions,
 * so an item removed between two pages never makes the next page skip another.
 */
export function listPage<T>(
  req: Request,
  items: readonly T[],
  keyOf: (item: T) => number | string,
  live: (item: T) => boolean,
  toWire: (item: T) => object,
  metadata: string,
  filterable: FilterableList,
): Reply {
  const predicate = filterOf(req, filterable);
  const select = req.query.get('$select');
  const max = maxResultsOf(req);
  const token = req.query.get('$skiptoken');
  let start = 0;
  if (token !== undefined && items.length > 0) {
    const numeric = typeof keyOf(items[0]) === 'number';
    const after = numeric ? Number(token) : token;
    if (numeric && !Number.isFinite(after)) throw invalidProperty('$skiptoken', 'not a token this service issued', token);
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keyOf(items[mid]) <= after) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const value: object[] = [];
  let last: T | undefined;
  let i = start;
  for (; i < items.length && value.length < max; i++) {
    const item = items[i];
    if (!live(item)) continue;
    last = item;
    const wire = toWire(item);
    if (predicate && !predicate(wire)) continue;
    value.push(project(wire, select));
  }
  const body: Record<string, unknown> = { 'odata.metadata': metadataUrl(req.origin, metadata), value };
  let more = false;
  for (let j = i; j < items.length; j++) if (live(items[j])) {
    more = true;
    break;
  }
  if (more && last !== undefined) body['odata.nextLink'] = nextLink(req, String(keyOf(last)));
  return { status: 200, body };
}

export function entityReply(req: Request, entity: object, metadata: string, headers: Record<string, string>): Reply {
  const body = { 'odata.metadata': metadataUrl(req.origin, metadata), ...project(entity, req.query.get('$select')) };
  return { status: 200, body, headers };
}
