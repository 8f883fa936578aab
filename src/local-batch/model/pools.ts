import type { Engine } from './engine';
import { conflict, invalidProperty, missingProperty, notFound } from '../http/errors';
import { entityHeaders, jsonBody, readConditions, writeConditions, type Reply, type Request } from '../http/request-reply';
import { addNode, afterNodeChange, disableNodeScheduling, enableNodeScheduling, rebootNode, removeNode, setAllocationState } from './nodes';
import { entityReply, listPage, route, type Route } from '../http/routing';
import { addToUsage, coreQuotaError, quotaUsage, type QuotaUsage } from './quotas';
import type { NodeRecord, PoolRecord, PoolWire, ResizeError } from './types';
import { isoTime, newEntityWire, parseDuration } from '../http/wire';
import { NodeDisableSchedulingSchema, NodeRebootSchema, NodeRemoveSchema, parseBody, PoolAddSchema, PoolPatchSchema, PoolResizeSchema, PoolUpdatePropertiesSchema } from '../http/wire-schemas';
import { NODE_COUNTS_FILTER, NODE_FILTER, POOL_FILTER } from '../query/filter-properties';

/** Pool and compute-node operations. */
export function getPool(engine: Engine, poolId: string): PoolRecord {
  const pool = engine.pools.get(poolId.toLowerCase());
  if (!pool) throw notFound('Pool');
  return pool;
}

function activePool(engine: Engine, poolId: string, req?: Request): PoolRecord {
  const pool = getPool(engine, poolId);
  if (req) writeConditions(req, pool.wire);
  if (pool.wire.state === 'deleting') throw conflict('PoolBeingDeleted', 'The specified pool has been marked for deletion and is being reclaimed.');
  return pool;
}

export function poolWire(pool: PoolRecord): PoolWire {
  let dedicated = 0;
  let lowPriority = 0;
  for (const node of pool.nodes.values()) {
    if (node.isDedicated) dedicated++;
    else lowPriority++;
  }
  return { ...pool.wire, currentDedicatedNodes: dedicated, currentLowPriorityNodes: lowPriority };
}

function nodeWire(engine: Engine, pool: PoolRecord, node: NodeRecord): Record<string, unknown> {
  return {
    id: node.id,
    url: engine.nodeUrl(pool.wire.id, node.id),
    state: node.schedulingDisabled && node.state === 'idle' ? 'offline' : node.state,
    schedulingState: node.schedulingDisabled ? 'disabled' : 'enabled',
    stateTransitionTime: node.stateTransitionTime,
    lastBootTime: node.lastBootTime,
    allocationTime: node.allocationTime,
    ipAddress: '127.0.0.1',
    affinityId: `TVM:${node.id}`,
    vmSize: pool.wire.vmSize,
    totalTasksRun: node.totalTasksRun,
    runningTasksCount: node.running.size,
    runningTaskSlotsCount: node.usedSlots,
    totalTasksSucceeded: node.totalTasksSucceeded,
    isDedicated: node.isDedicated,
    ...(pool.wire.startTask && { startTask: pool.wire.startTask }),
    ...(node.startTaskInfo && { startTaskInfo: node.startTaskInfo }),
    ...(node.errors && { errors: node.errors }),
    nodeAgentInfo: { version: '1.9.0', lastUpdateTime: node.allocationTime },
  };
}

const targetOf = (pool: PoolRecord, dedicated: boolean) => (dedicated ? pool.wire.targetDedicatedNodes : pool.wire.targetLowPriorityNodes);
const staying = (pool: PoolRecord, dedicated: boolean) => [...pool.nodes.values()].filter((n) => n.isDedicated === dedicated && !n.leaving);

/**
 * Adds up to `missing` nodes of one priority, as capacity and the core quotas allow; returns why it stopped short.
 * `timedOut`: this priority's allocation did not complete within the resize timeout, so nothing is added.
 */
function grow(engine: Engine, pool: PoolRecord, dedicated: boolean, missing: number, usage: QuotaUsage, timedOut: boolean): ResizeError | undefined {
  const kind = dedicated ? 'dedicated' : 'Spot/low-priority';
  if (timedOut) {
    return { code: 'AllocationTimedout', message: `Desired number of ${kind} nodes could not be allocated as the resize timeout was reached.` };
  }
  const { failure } = engine.faults.allocationFaultFor(pool.wire.vmSize, dedicated);
  if (failure) {
    return {
      code: failure.code,
      message: failure.message ?? `Desired number of ${kind} nodes of size ${pool.wire.vmSize} could not be allocated (no capacity).`,
      values: [{ name: 'VmSize', value: pool.wire.vmSize }],
    };
  }
  for (let i = 0; i < missing; i++) {
    const overQuota = coreQuotaError(engine.quotas, usage, pool, dedicated);
    if (overQuota) return overQuota;
    addNode(engine, pool, dedicated);
    addToUsage(usage, pool, dedicated);
  }
  return undefined;
}

/**
 * Applies the pool's targets after the allocation delay: adds the nodes that fit (capacity, core quotas), or removes
 * surplus ones (idle first). What could not be allocated is reported in `resizeErrors`, never as a failed request.
 */
function applyTargets(engine: Engine, pool: PoolRecord, timedOut: boolean[] = []): void {
  pool.pendingResize = undefined;
  const option = pool.nodeDeallocationOption ?? 'requeue';
  const usage = quotaUsage(engine);
  const errors: ResizeError[] = [];
  for (const dedicated of [true, false]) {
    const target = targetOf(pool, dedicated);
    const nodes = staying(pool, dedicated);
    if (nodes.length < target) {
      const error = grow(engine, pool, dedicated, target - nodes.length, usage, timedOut.includes(dedicated));
      if (error) errors.push(error);
    }
    if (nodes.length > target) {
      const rank = (n: NodeRecord) => (n.state === 'idle' ? 1 : n.state === 'running' ? 2 + n.usedSlots : 0);
      nodes.sort((a, b) => rank(a) - rank(b));
      for (const node of nodes.slice(0, nodes.length - target)) removeNode(engine, pool, node, option);
    }
  }
  pool.nodeDeallocationOption = undefined;
  if (errors.length > 0) pool.wire.resizeErrors = errors;
  afterNodeChange(engine, pool);
  engine.touchPool(pool);
  engine.kick();
}

/**
 * Starts a resize: the nodes come after the allocation delay, unless that is longer than the pool's resizeTimeout
 * or an `allocationTimeout` fault stalls a priority; then the resize ends at the timeout with what it has.
 */
function startResize(engine: Engine, pool: PoolRecord): void {
  setAllocationState(engine, pool, 'resizing');
  delete pool.wire.resizeErrors;
  engine.cancel(pool.pendingResize);
  const delayMs = engine.options.allocationDelayMs;
  const timeoutMs = parseDuration(pool.wire.resizeTimeout) ?? 15 * 60 * 1000;
  if (delayMs > timeoutMs) {
    pool.pendingResize = engine.later(timeoutMs, () => applyTargets(engine, pool, [true, false]));
    return;
  }
  const stalls = [true, false]
    .filter((dedicated) => staying(pool, dedicated).length < targetOf(pool, dedicated))
    .map((dedicated) => ({ dedicated, timeout: engine.faults.allocationFaultFor(pool.wire.vmSize, dedicated).timeout }))
    .filter((s) => s.timeout);
  const endsAt = Math.max(delayMs, ...stalls.map((s) => Math.min(s.timeout!.afterMs ?? timeoutMs, timeoutMs)));
  pool.pendingResize = engine.later(endsAt, () => applyTargets(engine, pool, stalls.map((s) => s.dedicated)));
}

/** Resumes pools after a restart: a resize in progress completes now. */
export function resumePool(engine: Engine, pool: PoolRecord): void {
  if (pool.wire.state === 'deleting') {
    finishDelete(engine, pool);
    return;
  }
  if (pool.wire.allocationState !== 'steady') applyTargets(engine, pool);
}

function finishDelete(engine: Engine, pool: PoolRecord): void {
  for (const node of [...pool.nodes.values()]) removeNode(engine, pool, node, 'requeue');
  engine.later(engine.deletionDelayMs, () => {
    const key = pool.wire.id.toLowerCase();
    if (engine.pools.get(key) !== pool) return;
    engine.pools.delete(key);
    engine.store.touch('pool', key, () => null);
  });
}

function checkResizeTimeout(value: string | undefined): void {
  if (value !== undefined && (parseDuration(value) ?? 0) < 5 * 60 * 1000) {
    throw invalidProperty('resizeTimeout', 'The specified resizeTimeout is less than the minimum of 5 minutes.', value);
  }
}

function addPool(engine: Engine, req: Request): Reply {
  const body = parseBody(PoolAddSchema, jsonBody(req));
  if (body.targetDedicatedNodes === undefined && body.targetLowPriorityNodes === undefined) throw missingProperty('targetDedicatedNodes');
  checkResizeTimeout(body.resizeTimeout);
  const existing = engine.pools.get(body.id.toLowerCase());
  if (existing?.wire.state === 'deleting') throw conflict('PoolBeingDeleted', 'The specified pool has been marked for deletion and is being reclaimed.');
  if (existing) throw conflict('PoolExists', 'The specified pool already exists.');
  const poolQuota = engine.quotas.poolQuota;
  if (poolQuota !== undefined && engine.pools.size >= poolQuota) {
    throw conflict('PoolQuotaReached', `The specified account has reached its pool quota (${poolQuota}).`);
  }
  const entity = newEntityWire(body.id, engine.poolUrl(body.id));
  const now = entity.creationTime;
  const wire: PoolWire = {
    ...entity,
    allocationState: 'resizing',
    allocationStateTransitionTime: now,
    ...(body.displayName && { displayName: body.displayName }),
    vmSize: body.vmSize,
    ...(body.virtualMachineConfiguration && { virtualMachineConfiguration: body.virtualMachineConfiguration }),
    resizeTimeout: body.resizeTimeout ?? 'PT15M',
    currentDedicatedNodes: 0,
    currentLowPriorityNodes: 0,
    targetDedicatedNodes: body.targetDedicatedNodes ?? 0,
    targetLowPriorityNodes: body.targetLowPriorityNodes ?? 0,
    enableAutoScale: false,
    enableInterNodeCommunication: body.enableInterNodeCommunication ?? false,
    taskSlotsPerNode: body.taskSlotsPerNode ?? 1,
    taskSchedulingPolicy: body.taskSchedulingPolicy ?? { nodeFillType: 'spread' },
    ...(body.startTask && { startTask: body.startTask }),
    ...(body.metadata && { metadata: body.metadata }),
    ...(body.identity && { identity: body.identity }),
  };
  const pool: PoolRecord = { seq: engine.nextSeq(), wire, nodes: new Map() };
  engine.pools.set(body.id.toLowerCase(), pool);
  engine.touchPool(pool, false);
  startResize(engine, pool);
  return { status: 201, headers: entityHeaders(pool.wire, pool.wire.url) };
}

function listPools(engine: Engine, req: Request): Reply {
  const pools = [...engine.pools.values()].sort((a, b) => a.seq - b.seq);
  return listPage(req, pools, (p) => p.seq, () => true, poolWire, 'pools', POOL_FILTER);
}

function patchPool(engine: Engine, req: Request, [poolId]: string[], replace: boolean): Reply {
  const pool = activePool(engine, poolId, req);
  const body = replace ? parseBody(PoolUpdatePropertiesSchema, jsonBody(req)) : parseBody(PoolPatchSchema, jsonBody(req));
  if (replace || body.startTask) pool.wire.startTask = body.startTask;
  if (replace || body.metadata) pool.wire.metadata = body.metadata;
  engine.touchPool(pool);
  return { status: replace ? 204 : 200, headers: entityHeaders(pool.wire, pool.wire.url) };
}

function resizePool(engine: Engine, req: Request, [poolId]: string[]): Reply {
  const pool = activePool(engine, poolId, req);
  const body = parseBody(PoolResizeSchema, jsonBody(req));
  checkResizeTimeout(body.resizeTimeout);
  if (pool.wire.allocationState !== 'steady') throw conflict('PoolBeingResized', 'The specified pool is being resized; the operation is not allowed until it is steady.');
  if (body.targetDedicatedNodes !== undefined) pool.wire.targetDedicatedNodes = body.targetDedicatedNodes;
  if (body.targetLowPriorityNodes !== undefined) pool.wire.targetLowPriorityNodes = body.targetLowPriorityNodes;
  if (body.resizeTimeout) pool.wire.resizeTimeout = body.resizeTimeout;
  pool.nodeDeallocationOption = body.nodeDeallocationOption;
  startResize(engine, pool);
  return { status: 202, headers: entityHeaders(pool.wire, pool.wire.url) };
}

function stopResize(engine: Engine, req: Request, [poolId]: string[]): Reply {
  const pool = activePool(engine, poolId, req);
  if (pool.wire.allocationState === 'resizing') {
    engine.cancel(pool.pendingResize);
    pool.pendingResize = undefined;
    pool.wire.resizeErrors = [{ code: 'ResizeStopped', message: 'The user stopped the resize operation.' }];
    setAllocationState(engine, pool, 'stopping');
    engine.later(1, () => afterNodeChange(engine, pool));
  }
  return { status: 202, headers: entityHeaders(pool.wire, pool.wire.url) };
}

function removeNodes(engine: Engine, req: Request, [poolId]: string[]): Reply {
  const pool = activePool(engine, poolId, req);
  const body = parseBody(NodeRemoveSchema, jsonBody(req));
  if (pool.wire.allocationState !== 'steady') throw conflict('PoolBeingResized', 'The specified pool is being resized; the operation is not allowed until it is steady.');
  const nodes = body.nodeList.map((id) => pool.nodes.get(id));
  if (nodes.some((n) => !n)) throw invalidProperty('nodeList', 'One of the specified nodes does not exist in the pool.');
  setAllocationState(engine, pool, 'resizing');
  for (const node of nodes as NodeRecord[]) {
    if (node.isDedicated) pool.wire.targetDedicatedNodes = Math.max(0, pool.wire.targetDedicatedNodes - 1);
    else pool.wire.targetLowPriorityNodes = Math.max(0, pool.wire.targetLowPriorityNodes - 1);
    removeNode(engine, pool, node, body.nodeDeallocationOption ?? 'requeue');
  }
  engine.later(1, () => afterNodeChange(engine, pool));
  return { status: 202, headers: entityHeaders(pool.wire, pool.wire.url) };
}

function deletePool(engine: Engine, req: Request, [poolId]: string[]): Reply {
  const pool = activePool(engine, poolId, req);
  engine.cancel(pool.pendingResize);
  pool.pendingResize = undefined;
  pool.wire.previousState = pool.wire.state;
  pool.wire.previousStateTransitionTime = pool.wire.stateTransitionTime;
  pool.wire.state = 'deleting';
  pool.wire.stateTransitionTime = isoTime();
  pool.wire.targetDedicatedNodes = 0;
  pool.wire.targetLowPriorityNodes = 0;
  setAllocationState(engine, pool, 'resizing');
  finishDelete(engine, pool);
  return { status: 202 };
}

const nodeBusy = () => conflict('OperationInvalidForCurrentState', 'The specified operation is not valid for the current state of the resource.');

function getNode(engine: Engine, poolId: string, nodeId: string): { pool: PoolRecord; node: NodeRecord } {
  const pool = getPool(engine, poolId);
  const node = pool.nodes.get(nodeId);
  if (!node) throw notFound('Node', 'node');
  return { pool, node };
}

const COUNT_KEYS: Record<string, string> = {
  creating: 'creating',
  idle: 'idle',
  preempted: 'preempted',
  running: 'running',
  starting: 'starting',
  starttaskfailed: 'startTaskFailed',
  leavingpool: 'leavingPool',
  unusable: 'unusable',
  waitingforstarttask: 'waitingForStartTask',
  rebooting: 'rebooting',
};

/** Account_ListPoolNodeCounts: nodes per pool by state, dedicated and low-priority apart. */
function nodeCounts(engine: Engine, req: Request): Reply {
  const zero = () => ({
    creating: 0, idle: 0, offline: 0, preempted: 0, rebooting: 0, reimaging: 0, running: 0, starting: 0,
    startTaskFailed: 0, leavingPool: 0, unknown: 0, unusable: 0, waitingForStartTask: 0, upgradingOS: 0, total: 0,
  });
  const pools = [...engine.pools.values()].sort((a, b) => a.seq - b.seq);
  return listPage(req, pools, (p) => p.seq, () => true, (pool) => {
    const counts = { poolId: pool.wire.id, dedicated: zero(), lowPriority: zero() };
    for (const node of pool.nodes.values()) {
      const bucket: Record<string, number> = node.isDedicated ? counts.dedicated : counts.lowPriority;
      bucket[node.schedulingDisabled && node.state === 'idle' ? 'offline' : (COUNT_KEYS[node.state] ?? 'unknown')]++;
      bucket.total++;
    }
    return counts;
  }, 'poolnodecounts', NODE_COUNTS_FILTER);
}

export const poolRoutes: Route[] = [
  route('GET', '/nodecounts', 'Account_ListPoolNodeCounts', nodeCounts),
  route('POST', '/pools', 'Pool_Add', addPool),
  route('GET', '/pools', 'Pool_List', listPools),
  route('GET', '/pools/{poolId}', 'Pool_Get', (e, req, [id]) => {
    const pool = getPool(e, id);
    return readConditions(req, pool.wire) ?? entityReply(req, poolWire(pool), 'pools/@Element', entityHeaders(pool.wire));
  }),
  route('HEAD', '/pools/{poolId}', 'Pool_Exists', (e, _req, [id]) => ({ status: 200, headers: entityHeaders(getPool(e, id).wire) })),
  route('PATCH', '/pools/{poolId}', 'Pool_Patch', (e, req, p) => patchPool(e, req, p, false)),
  route('POST', '/pools/{poolId}/updateproperties', 'Pool_UpdateProperties', (e, req, p) => patchPool(e, req, p, true)),
  route('DELETE', '/pools/{poolId}', 'Pool_Delete', deletePool),
  route('POST', '/pools/{poolId}/resize', 'Pool_Resize', resizePool),
  route('POST', '/pools/{poolId}/stopresize', 'Pool_StopResize', stopResize),
  route('POST', '/pools/{poolId}/removenodes', 'Pool_RemoveNodes', removeNodes),
  route('GET', '/pools/{poolId}/nodes', 'ComputeNode_List', (e, req, [id]) => {
    const pool = getPool(e, id);
    const nodes = [...pool.nodes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return listPage(req, nodes, (n) => n.id, () => true, (n) => nodeWire(e, pool, n), `pools/${pool.wire.id}/nodes`, NODE_FILTER);
  }),
  route('POST', '/pools/{poolId}/nodes/{nodeId}/reboot', 'ComputeNode_Reboot', (e, req, [poolId, nodeId]) => {
    const { pool, node } = getNode(e, poolId, nodeId);
    const body = parseBody(NodeRebootSchema, jsonBody(req));
    if (!['idle', 'running', 'starttaskfailed', 'unusable'].includes(node.state)) throw nodeBusy();
    rebootNode(e, pool, node, body.nodeRebootOption);
    return { status: 202, headers: { DataServiceId: e.nodeUrl(pool.wire.id, node.id) } };
  }),
  route('POST', '/pools/{poolId}/nodes/{nodeId}/disablescheduling', 'ComputeNode_DisableScheduling', (e, req, [poolId, nodeId]) => {
    const { pool, node } = getNode(e, poolId, nodeId);
    const body = parseBody(NodeDisableSchedulingSchema, jsonBody(req));
    disableNodeScheduling(e, pool, node, body.nodeDisableSchedulingOption);
    return { status: 200, headers: { DataServiceId: e.nodeUrl(pool.wire.id, node.id) } };
  }),
  route('POST', '/pools/{poolId}/nodes/{nodeId}/enablescheduling', 'ComputeNode_EnableScheduling', (e, _req, [poolId, nodeId]) => {
    const { pool, node } = getNode(e, poolId, nodeId);
    enableNodeScheduling(e, pool, node);
    return { status: 200, headers: { DataServiceId: e.nodeUrl(pool.wire.id, node.id) } };
  }),
  route('GET', '/pools/{poolId}/nodes/{nodeId}', 'ComputeNode_Get', (e, req, [poolId, nodeId]) => {
    const { pool, node } = getNode(e, poolId, nodeId);
    return entityReply(req, nodeWire(e, pool, node), `pools/${pool.wire.id}/nodes/@Element`, {});
  }),
];

