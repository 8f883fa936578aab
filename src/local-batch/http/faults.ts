import { z } from 'zod';
import { BatchError } from './errors';

/**
 * Faults injected on demand (tests, demos). Per operation (`Task_List`, or `*` for all): a probability of answering
 * 429 TooManyRequests / 503 ServerBusy (both with Retry-After) or 500 InternalError, and added latency. Besides:
 * fail the next N task attempts (exit code 1, as if the command failed) and fail the start task on the next node.
 */
export const OperationFaultSchema = z.object({
  rate429: z.number().min(0).max(1).optional(),
  rate503: z.number().min(0).max(1).optional(),
  rate500: z.number().min(0).max(1).optional(),
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  /**
   * Deterministic: answer the next `count` requests of the operation with this status and code (and Retry-After
   * when given), e.g. 403 AuthenticationFailed for a clock skew or a key mid-rotation, or a 429 with a long
   * Retry-After. The count goes down with each answer; at 0 the fault is spent.
   */
  failNext: z
    .object({
      count: z.number().int().min(0).max(10_000),
      status: z.number().int().min(400).max(599),
      code: z.string().min(1).max(100).default('InjectedFault'),
      retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
    })
    .optional(),
});
export type OperationFault = z.infer<typeof OperationFaultSchema>;

const priority = z.enum(['dedicated', 'lowPriority']).optional();

/** Growth of matching pools (any size / both priorities when absent) allocates no node and fails with `code`. */
export const AllocationFailureSchema = z.object({
  vmSize: z.string().min(1).optional(),
  priority,
  code: z.string().min(1).max(100).default('AllocationFailed'),
  message: z.string().max(1000).optional(),
});
export type AllocationFailure = z.infer<typeof AllocationFailureSchema>;

/** Growth of matching pools never completes: the resize ends at its resizeTimeout (or after `afterMs`). */
export const AllocationTimeoutSchema = z.object({
  vmSize: z.string().min(1).optional(),
  priority,
  afterMs: z.number().int().min(0).max(3_600_000).optional(),
});
export type AllocationTimeout = z.infer<typeof AllocationTimeoutSchema>;

/** Spot nodes are evicted at random, `perNodeHour` evictions per node-hour on average, from a seeded generator. */
export const SpotEvictionSchema = z.object({
  perNodeHour: z.number().min(0).max(3_600_000),
  seed: z.number().int().optional(),
});
export type SpotEviction = z.infer<typeof SpotEvictionSchema>;

export const FaultSettingsSchema = z.object({
  operations: z.record(z.string(), OperationFaultSchema).optional(),
  failNextTasks: z.number().int().min(0).optional(),
  failNextStartTask: z.boolean().optional(),
  /** An action rather than a setting: preempt this low-priority node (any one of the pool's if nodeId is absent). */
  preemptNode: z.object({ poolId: z.string(), nodeId: z.string().optional() }).optional(),
  /** Capacity faults and Spot evictions; `null` clears one. */
  allocationFailure: AllocationFailureSchema.nullable().optional(),
  allocationTimeout: AllocationTimeoutSchema.nullable().optional(),
  spotEviction: SpotEvictionSchema.nullable().optional(),
});
/** Fault settings as a client writes them (defaults may be left out). */
export type FaultSettings = z.input<typeof FaultSettingsSchema>;
/** Fault settings once parsed (defaults filled in). */
export type ParsedFaultSettings = z.infer<typeof FaultSettingsSchema>;

export class Faults {
  operations: Record<string, OperationFault> = {};
  failNextTasks = 0;
  failNextStartTask = false;
  allocationFailure: AllocationFailure | undefined;
  allocationTimeout: AllocationTimeout | undefined;
  spotEviction: SpotEviction | undefined;
  /** The eviction dice: a small seeded generator, so a test that sets a seed sees the same evictions each run. */
  evictionRandom: () => number = seededRandom(1);
  /** Spot nodes evicted since start (by the dice or the admin call). */
  evictions = 0;

  constructor(initial?: FaultSettings) {
    if (initial) this.apply(FaultSettingsSchema.parse(initial));
  }

  /** Replaces the given settings (fields that are absent stay as they are). */
  apply(settings: ParsedFaultSettings): void {
    if (settings.operations) this.operations = settings.operations;
    if (settings.failNextTasks !== undefined) this.failNextTasks = settings.failNextTasks;
    if (settings.failNextStartTask !== undefined) this.failNextStartTask = settings.failNextStartTask;
    if (settings.allocationFailure !== undefined) this.allocationFailure = settings.allocationFailure ?? undefined;
    if (settings.allocationTimeout !== undefined) this.allocationTimeout = settings.allocationTimeout ?? undefined;
    if (settings.spotEviction !== undefined) {
      this.spotEviction = settings.spotEviction ?? undefined;
      this.evictionRandom = seededRandom(settings.spotEviction?.seed ?? 1);
    }
  }

  current(): ParsedFaultSettings {
    return {
      operations: this.operations,
      failNextTasks: this.failNextTasks,
      failNextStartTask: this.failNextStartTask,
      allocationFailure: this.allocationFailure ?? null,
      allocationTimeout: this.allocationTimeout ?? null,
      spotEviction: this.spotEviction ?? null,
    };
  }

  /** The capacity fault that applies to growing a pool of `vmSize` with nodes of this priority, if any. */
  allocationFaultFor(vmSize: string, dedicated: boolean): { failure?: AllocationFailure; timeout?: AllocationTimeout } {
    const matches = (f: { vmSize?: string; priority?: 'dedicated' | 'lowPriority' } | undefined) =>
      !!f && (!f.vmSize || f.vmSize.toLowerCase() === vmSize.toLowerCase()) && (!f.priority || (f.priority === 'dedicated') === dedicated);
    return {
      ...(matches(this.allocationFailure) && { failure: this.allocationFailure }),
      ...(matches(this.allocationTimeout) && { timeout: this.allocationTimeout }),
    };
  }

  /** Added latency for an operation, in ms. */
  latencyFor(operation: string): number {
    return this.operations[operation]?.latencyMs ?? this.operations['*']?.latencyMs ?? 0;
  }

  /** The injected error for this request, if the dice say so. */
  errorFor(operation: string, random: () => number = Math.random): BatchError | undefined {
    const fault = this.operations[operation] ?? this.operations['*'];
    if (!fault) return undefined;
    const next = fault.failNext;
    if (next && next.count > 0) {
      next.count -= 1;
      const headers: Record<string, string> = next.retryAfterSeconds !== undefined ? { 'Retry-After': String(next.retryAfterSeconds) } : {};
      return new BatchError(next.status, next.code, `Injected fault: ${next.code}.`, [], headers);
    }
    const retryAfter = { 'Retry-After': String(fault.retryAfterSeconds ?? 1) };
    if (fault.rate429 && random() < fault.rate429) {
      return new BatchError(429, 'TooManyRequests', 'The server is busy; too many requests.', [], retryAfter);
    }
    if (fault.rate503 && random() < fault.rate503) {
      return new BatchError(503, 'ServerBusy', 'The server is currently unable to receive requests. Please retry your request.', [], retryAfter);
    }
    if (fault.rate500 && random() < fault.rate500) {
      return new BatchError(500, 'InternalError', 'Server encountered an internal error. Please try again after some time.');
    }
    return undefined;
  }

  takeTaskFailure(): boolean {
    if (this.failNextTasks <= 0) return false;
    this.failNextTasks--;
    return true;
  }

  takeStartTaskFailure(): boolean {
    if (!this.failNextStartTask) return false;
    this.failNextStartTask = false;
    return true;
  }
}

/** mulberry32: a tiny deterministic generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
