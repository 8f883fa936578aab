/** Request counts per Batch operation (REST operationId, e.g. `Task_List`) and HTTP status. */
export interface OperationStats {
  count: number;
  byStatus: Record<string, number>;
}

export interface StatsReport {
  requests: Record<string, OperationStats>;
  total: number;
}

export class Stats {
  private requests: Record<string, OperationStats> = {};
  private total = 0;

  record(operation: string, status: number): void {
    const entry = (this.requests[operation] ??= { count: 0, byStatus: {} });
    entry.count++;
    entry.byStatus[String(status)] = (entry.byStatus[String(status)] ?? 0) + 1;
    this.total++;
  }

  report(): StatsReport {
    return { requests: structuredClone(this.requests), total: this.total };
  }

  reset(): void {
    this.requests = {};
    this.total = 0;
  }
}
