import type { QuotaReport } from './http/admin';
import type { FaultSettings, ParsedFaultSettings } from './http/faults';
import type { QuotaSettings } from './model/quotas';
import type { StatsReport } from './http/stats';

/** A small client of the local Batch service's admin endpoint (tests, benchmarks, demos). */
export class LocalBatchAdminClient {
  constructor(
    private readonly url: string,
    private readonly accountKey: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url.replace(/\/$/, '')}${path}`, {
      method,
      headers: { 'x-spc-admin-key': this.accountKey, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`admin ${method} ${path}: HTTP ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Request counts per operation and status since start or the last reset. */
  getStats(): Promise<StatsReport> {
    return this.call('GET', '/_admin/stats');
  }

  resetStats(): Promise<void> {
    return this.call('POST', '/_admin/stats/reset');
  }

  getFaults(): Promise<ParsedFaultSettings> {
    return this.call('GET', '/_admin/faults');
  }

  /** Changes the given fault settings (absent fields stay). */
  setFaults(settings: FaultSettings): Promise<ParsedFaultSettings & { preempted?: string }> {
    return this.call('PUT', '/_admin/faults', settings);
  }

  /** The account quotas, what the account uses of them, and Spot evictions since start. */
  getQuotas(): Promise<QuotaReport> {
    return this.call('GET', '/_admin/quotas');
  }

  /** Changes the given quotas (a field set to null goes back to unlimited; absent fields stay). */
  setQuotas(settings: QuotaSettings): Promise<QuotaReport> {
    return this.call('PUT', '/_admin/quotas', settings);
  }

  /** Preempts a low-priority node (a running one if any, unless nodeId names it); returns its id. */
  async preemptNode(poolId: string, nodeId?: string): Promise<string> {
    const result = await this.call<{ preempted: string }>('POST', '/_admin/preempt', { poolId, nodeId });
    return result.preempted;
  }
}
