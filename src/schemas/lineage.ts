import { z } from 'zod';

/**
 * Where a run comes from: the hash of its normalised input (sha256 of canonical JSON without the run id; the
 * input never holds secrets), the recipe's version, the schedule that started it and the previous run of that
 * schedule (the one the nightly diff compares with).
 */
export const LineageSchema = z.object({
  inputHash: z.string(),
  recipeVersion: z.string(),
  scheduleId: z.string().optional(),
  previousRunId: z.string().optional(),
  /** The ids of the manifest's `provenance` entries (what the tasks ran: installed commits, interpreter), in its order. */
  provenance: z.array(z.string()).optional(),
});
export type Lineage = z.infer<typeof LineageSchema>;

/** `lineage/<scheduleId>.json` in the lineage container: the schedule's latest finalized run (and the one before). */
export const LineagePointerSchema = z.object({
  runId: z.string(),
  container: z.string(),
  writtenAt: z.string(),
  /** The run before `runId`, kept so a retried finalize of `runId` still finds its own predecessor. */
  previous: z.object({ runId: z.string(), container: z.string() }).optional(),
});
export type LineagePointer = z.infer<typeof LineagePointerSchema>;

/** The container holding lineage pointers (one small blob per schedule). */
export const LINEAGE_CONTAINER = 'spc-lineage';
/** Blob name of a schedule's lineage pointer. */
export const lineageBlobOf = (scheduleId: string): string => `lineage/${scheduleId}.json`;
