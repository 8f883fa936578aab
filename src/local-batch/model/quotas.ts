import { z } from 'zod';
import type { Engine } from './engine';
import type { PoolRecord, ResizeError } from './types';
import { vmSizeInfo } from './vm-sizes';

/**
 * Account quotas as the Batch management API names them. Absent = unlimited. Pools and active jobs are checked when
 * they are added (409 PoolQuotaReached / ActiveJobAndScheduleQuotaReached); cores when nodes are allocated (the pool
 * gets what fits and a resize error, see pools.ts), as Azure does.
 */
const limit = z.number().int().min(0).max(1_000_000);
export const QuotasSchema = z
  .object({
    dedicatedCoreQuota: limit.nullable().optional(),
    dedicatedCoreQuotaPerVMFamily: z.record(z.string().min(1), limit.nullable()).nullable().optional(),
    lowPriorityCoreQuota: limit.nullable().optional(),
    poolQuota: limit.nullable().optional(),
    activeJobAndJobScheduleQuota: limit.nullable().optional(),
  })
  .strict();
export type QuotaSettings = z.infer<typeof QuotasSchema>;

export interface Quotas {
  dedicatedCoreQuota?: number;
  /** Family names compared case-insensitively. */
  dedicatedCoreQuotaPerVMFamily?: Record<string, number>;
  lowPriorityCoreQuota?: number;
  poolQuota?: number;
  activeJobAndJobScheduleQuota?: number;
}

export interface QuotaUsage {
  dedicatedCores: number;
  dedicatedCoresPerVMFamily: Record<string, number>;
  lowPriorityCores: number;
  pools: number;
  activeJobsAndJobSchedules: number;
}

/** Applies `settings` onto `quotas`: fields given replace, `null` removes the limit, absent fields stay. */
export function applyQuotas(quotas: Quotas, settings: QuotaSettings): void {
  const scalar = ['dedicatedCoreQuota', 'lowPriorityCoreQuota', 'poolQuota', 'activeJobAndJobScheduleQuota'] as const;
  for (const name of scalar) {
    const value = settings[name];
    if (value === null) delete quotas[name];
    else if (value !== undefined) quotas[name] = value;
  }
  const families = settings.dedicatedCoreQuotaPerVMFamily;
  if (families === null) delete quotas.dedicatedCoreQuotaPerVMFamily;
  else if (families) {
    const merged = { ...quotas.dedicatedCoreQuotaPerVMFamily };
    for (const [family, value] of Object.entries(families)) {
      for (const known of Object.keys(merged)) if (known.toLowerCase() === family.toLowerCase()) delete merged[known];
      if (value !== null) merged[family] = value;
    }
    quotas.dedicatedCoreQuotaPerVMFamily = merged;
  }
}

/** The per-family quota of `family`, if one is set. */
export function familyQuota(quotas: Quotas, family: string): number | undefined {
  for (const [name, value] of Object.entries(quotas.dedicatedCoreQuotaPerVMFamily ?? {})) {
    if (name.toLowerCase() === family.toLowerCase()) return value;
  }
  return undefined;
}

/** What the account uses now: every node of every pool (preempted ones too: they keep their place), pools, jobs. */
export function quotaUsage(engine: Engine): QuotaUsage {
  const usage: QuotaUsage = { dedicatedCores: 0, dedicatedCoresPerVMFamily: {}, lowPriorityCores: 0, pools: engine.pools.size, activeJobsAndJobSchedules: 0 };
  for (const pool of engine.pools.values()) {
    const { cores, family } = vmSizeInfo(pool.wire.vmSize);
    for (const node of pool.nodes.values()) {
      if (node.isDedicated) {
        usage.dedicatedCores += cores;
        usage.dedicatedCoresPerVMFamily[family] = (usage.dedicatedCoresPerVMFamily[family] ?? 0) + cores;
      } else usage.lowPriorityCores += cores;
    }
  }
  for (const job of engine.jobs.values()) if (job.wire.state !== 'completed') usage.activeJobsAndJobSchedules++;
  return usage;
}

/**
 * Whether one more node of the pool fits the core quotas; undefined if it does, else the resize error to report.
 * `usage` is the account's current usage (the caller adds each node it allocates).
 */
export function coreQuotaError(quotas: Quotas, usage: QuotaUsage, pool: PoolRecord, dedicated: boolean): ResizeError | undefined {
  const { cores, family } = vmSizeInfo(pool.wire.vmSize);
  const error = (code: string, what: string, quota: number, inUse: number, withFamily: boolean): ResizeError => ({
    code,
    message: `The specified account has reached its ${what} quota: ${inUse} cores in use, ${cores} more requested, quota ${quota}.`,
    values: [
      { name: 'VmSize', value: pool.wire.vmSize },
      ...(withFamily ? [{ name: 'VmFamily', value: family }] : []),
      { name: 'CoreQuota', value: String(quota) },
      { name: 'CoresInUse', value: String(inUse) },
      { name: 'CoresRequested', value: String(cores) },
    ],
  });
  if (!dedicated) {
    const quota = quotas.lowPriorityCoreQuota;
    if (quota !== undefined && usage.lowPriorityCores + cores > quota) {
      return error('AccountLowPriorityCoreQuotaReached', 'Spot/low-priority core', quota, usage.lowPriorityCores, false);
    }
    return undefined;
  }
  const inFamily = usage.dedicatedCoresPerVMFamily[family] ?? 0;
  const perFamily = familyQuota(quotas, family);
  if (perFamily !== undefined && inFamily + cores > perFamily) {
    return error('AccountVMSeriesCoreQuotaReached', `dedicated core (${family})`, perFamily, inFamily, true);
  }
  const total = quotas.dedicatedCoreQuota;
  if (total !== undefined && usage.dedicatedCores + cores > total) {
    return error('AccountCoreQuotaReached', 'dedicated core', total, usage.dedicatedCores, true);
  }
  return undefined;
}

/** Counts one allocated node into `usage`. */
export function addToUsage(usage: QuotaUsage, pool: PoolRecord, dedicated: boolean): void {
  const { cores, family } = vmSizeInfo(pool.wire.vmSize);
  if (!dedicated) {
    usage.lowPriorityCores += cores;
    return;
  }
  usage.dedicatedCores += cores;
  usage.dedicatedCoresPerVMFamily[family] = (usage.dedicatedCoresPerVMFamily[family] ?? 0) + cores;
}
