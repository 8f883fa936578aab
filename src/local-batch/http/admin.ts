import { timingSafeEqual } from 'node:crypto';
import type { Engine } from '../model/engine';
import { BatchError, conflict, notFound } from './errors';
import { FaultSettingsSchema } from './faults';
import { jsonBody, type Reply, type Request } from './request-reply';
import { preemptNode } from '../model/nodes';
import { applyQuotas, quotaUsage, QuotasSchema, type Quotas, type QuotaUsage } from '../model/quotas';
import { watchSpotEvictions } from '../execution/spot-eviction';
import type { NodeRecord } from '../model/types';
import { parseBody } from './wire-schemas';

/**
 * The admin endpoint under /_admin/ (not part of the Batch API), authenticated by `x-spc-admin-key: <accountKey>`:
 * GET /_admin/stats, POST /_admin/stats/reset, GET|PUT /_admin/faults, GET|PUT /_admin/quotas,
 * POST /_admin/preempt {poolId, nodeId?}.
 */
export const ADMIN_KEY_HEADER = 'x-spc-admin-key';

function authorize(engine: Engine, req: Request): void {
  const given = Buffer.from(String(req.headers[ADMIN_KEY_HEADER] ?? ''));
  const expected = Buffer.from(engine.options.accountKey);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new BatchError(403, 'AuthenticationFailed', `The ${ADMIN_KEY_HEADER} header is missing or wrong.`);
  }
}

function preempt(engine: Engine, target: { poolId: string; nodeId?: string }): NodeRecord {
  const pool = engine.pools.get(target.poolId.toLowerCase());
  if (!pool) throw notFound('Pool');
  let node: NodeRecord | undefined;
  if (target.nodeId) {
    node = pool.nodes.get(target.nodeId);
    if (!node) throw notFound('Node', 'node');
  } else {
    const candidates = [...pool.nodes.values()].filter((n) => !n.isDedicated && n.state !== 'preempted');
    node = candidates.find((n) => n.running.size > 0) ?? candidates[0];
    if (!node) throw conflict('NoLowPriorityNode', 'The pool has no low-priority node that can be preempted.');
  }
  if (node.isDedicated) throw conflict('NodeIsDedicated', 'Only low-priority (Spot) nodes can be preempted.');
  preemptNode(engine, pool, node);
  return node;
}

/** What `GET|PUT /_admin/quotas` answer: the limits set, what the account uses, Spot evictions so far. */
export interface QuotaReport {
  quotas: Quotas;
  usage: QuotaUsage;
  evictions: number;
}

function quotaReport(engine: Engine): QuotaReport {
  return { quotas: engine.quotas, usage: quotaUsage(engine), evictions: engine.faults.evictions };
}

export function handleAdmin(engine: Engine, req: Request): Reply {
  authorize(engine, req);
  const route = `${req.method} ${req.rawPath.replace(/\/$/, '')}`;
  switch (route) {
    case 'GET /_admin/stats':
      return { status: 200, body: engine.stats.report() };
    case 'POST /_admin/stats/reset':
      engine.stats.reset();
      return { status: 204 };
    case 'GET /_admin/faults':
      return { status: 200, body: engine.faults.current() };
    case 'PUT /_admin/faults': {
      const settings = parseBody(FaultSettingsSchema, jsonBody(req));
      engine.faults.apply(settings);
      watchSpotEvictions(engine);
      const preempted = settings.preemptNode ? preempt(engine, settings.preemptNode).id : undefined;
      return { status: 200, body: { ...engine.faults.current(), ...(preempted && { preempted }) } };
    }
    case 'GET /_admin/quotas':
      return { status: 200, body: quotaReport(engine) };
    case 'PUT /_admin/quotas':
      applyQuotas(engine.quotas, parseBody(QuotasSchema, jsonBody(req)));
      return { status: 200, body: quotaReport(engine) };
    case 'POST /_admin/preempt': {
      const body = jsonBody(req) as { poolId?: unknown; nodeId?: unknown };
      if (typeof body.poolId !== 'string') throw new BatchError(400, 'MissingRequiredProperty', 'poolId is required');
      const node = preempt(engine, { poolId: body.poolId, nodeId: typeof body.nodeId === 'string' ? body.nodeId : undefined });
      return { status: 200, body: { preempted: node.id } };
    }
  }
  throw new BatchError(404, 'ResourceNotFound', `No admin operation ${route}.`);
}
