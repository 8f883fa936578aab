/** The largest payload in a workflow history (the server fails a run whose payload passes its blob size limit). */
import type { temporal } from '@temporalio/proto';

export interface LargestPayload {
  bytes: number;
  eventType: string;
}

/** Walks every event's attributes for payloads (objects with `metadata` and `data` bytes) and keeps the largest. */
export function largestPayload(events: readonly temporal.api.history.v1.IHistoryEvent[]): LargestPayload {
  let largest: LargestPayload = { bytes: 0, eventType: '' };
  for (const event of events) {
    const bytes = largestIn(event);
    if (bytes > largest.bytes) largest = { bytes, eventType: String(event.eventType ?? '') };
  }
  return largest;
}

function largestIn(value: unknown): number {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return 0;
  const record = value as Record<string, unknown>;
  if (record.data instanceof Uint8Array && record.metadata && typeof record.metadata === 'object') {
    let size = record.data.length;
    for (const v of Object.values(record.metadata as Record<string, unknown>)) if (v instanceof Uint8Array) size += v.length;
    return size;
  }
  let max = 0;
  for (const v of Object.values(record)) max = Math.max(max, largestIn(v));
  return max;
}
