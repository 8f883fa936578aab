import type { Engine } from '../model/engine';
import { checkAllTasksComplete } from '../model/job-lifecycle';
import { nodeAcceptsTasks } from '../model/node-state';
import { finishLeavingNode, rebootNode } from '../model/nodes';
import { startOnNode } from './task-runner';
import { taskKey, type JobRecord, type NodeRecord, type PoolRecord, type TaskRecord } from '../model/types';

/**
 * One scheduling pass, run whenever something frees or adds capacity or work (task added, task finished, node
 * ready, job enabled): for each pool with free slots, its active jobs in priority order (then creation order), their
 * queued tasks in order, each placed on a node with enough free slots by the pool's nodeFillType (spread: the
 * least loaded node; pack: the most loaded node that still fits). Never exceeds a node's taskSlotsPerNode or a
 * job's maxParallelTasks.
 */
export function schedulePass(engine: Engine): void {
  settle(engine);
  const jobsByPool = new Map<string, JobRecord[]>();
  for (const [key, job] of engine.jobs) {
    if (job.wire.state !== 'active' || !job.wire.poolInfo.poolId) continue;
    if ((engine.queues.get(key)?.size ?? 0) === 0) continue;
    const poolKey = job.wire.poolInfo.poolId.toLowerCase();
    const list = jobsByPool.get(poolKey) ?? [];
    list.push(job);
    jobsByPool.set(poolKey, list);
  }
  for (const [poolKey, jobs] of jobsByPool) {
    const pool = engine.pools.get(poolKey);
    if (!pool || pool.wire.state !== 'active') continue;
    jobs.sort((a, b) => b.wire.priority - a.wire.priority || a.seq - b.seq);
    fillPool(engine, pool, jobs);
  }
}

function fillPool(engine: Engine, pool: PoolRecord, jobs: JobRecord[]): void {
  const slotsPerNode = pool.wire.taskSlotsPerNode;
  const nodes = [...pool.nodes.values()].filter(nodeAcceptsTasks);
  let free = nodes.reduce((sum, n) => sum + (slotsPerNode - n.usedSlots), 0);
  const pack = pool.wire.taskSchedulingPolicy.nodeFillType === 'pack';
  for (const job of jobs) {
    if (free <= 0) return;
    const queue = engine.queues.get(job.wire.id.toLowerCase());
    if (!queue) continue;
    const limit = job.wire.maxParallelTasks > 0 ? job.wire.maxParallelTasks : Infinity;
    let running = engine.countsOf(job.wire.id).running;
    for (const task of queue) {
      if (free <= 0 || running >= limit) break;
      if (task.wire.dependsOn && !dependenciesMet(engine, task)) continue;
      const slots = task.wire.requiredSlots;
      const node = pickNode(nodes, slotsPerNode, slots, pack);
      if (!node) continue;
      startOnNode(engine, task, pool, node);
      free -= slots;
      running++;
    }
  }
}

function pickNode(nodes: NodeRecord[], slotsPerNode: number, slots: number, pack: boolean): NodeRecord | undefined {
  let best: NodeRecord | undefined;
  for (const node of nodes) {
    if (slotsPerNode - node.usedSlots < slots) continue;
    if (!best || (pack ? node.usedSlots > best.usedSlots : node.usedSlots < best.usedSlots)) best = node;
  }
  return best;
}

interface DependsOn {
  taskIds?: string[];
  taskIdRanges?: { start: number; end: number }[];
}

/**
 * Task dependencies: a task runs once every task it names has completed successfully (a failed dependency blocks
 * it, the default dependencyAction). Ids in a range that do not exist are ignored; a named id that does not exist
 * (yet) keeps the task waiting.
 */
function dependenciesMet(engine: Engine, task: TaskRecord): boolean {
  const deps = task.wire.dependsOn as DependsOn;
  const done = (id: string, required: boolean) => {
    const dep = engine.tasks.get(taskKey(task.jobId, id));
    if (!dep) return !required;
    return dep.wire.state === 'completed' && dep.wire.executionInfo.result === 'success';
  };
  for (const id of deps.taskIds ?? []) if (!done(id, true)) return false;
  for (const range of deps.taskIdRanges ?? []) for (let i = range.start; i <= range.end; i++) if (!done(String(i), false)) return false;
  return true;
}

/**
 * What finished tasks left to do, before placing work: nodes whose last task left go on to leave the pool or reboot,
 * and jobs whose task completed may end by onAllTasksComplete. Done here rather than where the task completes, so
 * the task runner never calls back into node and job lifecycles (which call it).
 */
function settle(engine: Engine): void {
  const nodes = [...engine.settle.nodes];
  const jobIds = [...engine.settle.jobs];
  engine.settle.nodes.clear();
  engine.settle.jobs.clear();
  for (const node of nodes) {
    const pool = engine.pools.get(node.poolId.toLowerCase());
    if (!pool || pool.nodes.get(node.id) !== node || node.running.size > 0) continue;
    if (node.leaving) finishLeavingNode(engine, pool, node);
    else if (node.rebootPending) rebootNode(engine, pool, node, 'requeue');
  }
  for (const jobId of jobIds) checkAllTasksComplete(engine, jobId);
}
