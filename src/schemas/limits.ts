/**
 * Bounds of what a run's replies carry, without zod: workflow code reads them at module scope, and every module a
 * workflow loads at module scope is evaluated again for each cached workflow (see src/workflows/lazy-schemas.ts).
 */

/** Durations a `progress` reply carries for an ETA (a sample of the finished LADs). */
export const MAX_DURATION_SAMPLE = 500;

/** Most failed LADs a summary lists. */
export const MAX_SUMMARY_FAILURES = 100;
