/** The progress bar's capacity and cost parts: a pool stuck without nodes (and why), the cost so far. */
import { formatCost } from '../schemas/cost';
import type { RunProgress } from '../schemas/progress';

export function capacityParts(progress: RunProgress): string[] {
  const parts: string[] = [];
  const capacity = progress.capacity;
  if (capacity?.stuck) parts.push(`0 nodes since ${capacity.zeroNodesSince ?? '?'} (${capacity.vmSize}): ${capacity.stuck}`);
  if (progress.cost) parts.push(`cost ${formatCost(progress.cost)}`);
  return parts;
}
