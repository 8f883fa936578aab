/**
 * A run's `priority` (-1000 lowest to 1000 highest, as Azure Batch job priorities go) as Temporal's priority key
 * (1 highest to 5 lowest, the server's default range; the default key 3 is priority 0). Pure, no imports.
 */

/** Temporal's priority key of a run's priority: 750..1000 -> 1, 250..749 -> 2, -249..249 -> 3, -749..-250 -> 4, below -> 5. */
export function priorityKeyOf(priority: number): number {
  const steps = Math.sign(priority) * Math.round(Math.abs(priority) / 500);
  return 3 - steps;
}
