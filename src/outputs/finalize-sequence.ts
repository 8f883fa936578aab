/**
 * The story of finalize, once, for both places that tell it: the workflow (each step its own activity,
 * src/workflows/finalize-steps.ts) and the 0.1-compatible `finalizeRun` activity (every step inside one activity,
 * for runs that scheduled it before the steps existed). Verify -> collate -> final check -> [merge to 2020] ->
 * lineage and diff -> manifest (and lineage pointer) -> clean-up. Only names and counts pass between the steps;
 * what grows with the LADs stays in the run's container. No I/O here: the steps are given.
 */
import type { ReleaseRunRequest, CleanupTarget } from '../activities/cleanup';
import type { Collated } from '../activities/finalize/collate';
import type { CheckRunOutputsRequest, FinalCheckSummary } from '../activities/finalize/final-check';
import type { TracedLineage, TraceRunLineageRequest } from '../activities/finalize/trace-lineage';
import type { ExpectedFiles, VerifiedRun, VerifyRunOutputsRequest } from '../activities/finalize/verify-outputs';
import type { FinalizeRef } from '../activities/finalize/workspace';
import type { WriteRunManifestRequest, WrittenManifest } from '../activities/finalize/write-manifest';
import type { RunDiff } from '../activities/lineage';
import type { LadResult } from '../schemas/lad';
import { poolIdOf } from '../schemas/names';
import type { Lineage } from '../schemas/lineage';
import type { LadStatus } from '../schemas/progress';
import type { NormalisedRunInput } from '../schemas/run-input';
import type { PackedLads } from '../schemas/run-state';

export interface FinalizeRunRequest {
  runId: string;
  container: string;
  jobId: string;
  poolId: string;
  /** Every LAD's status, packed (since 0.2); full results are read from the container's LAD records. */
  packedLads?: PackedLads;
  /** Before 0.2 (a finalize scheduled by an older worker): every LAD's status and every finished LAD's result. */
  lads?: { lad: string; status: LadStatus; note?: string }[];
  results?: LadResult[];
  expectedFiles: ExpectedFiles;
  cleanup: CleanupTarget[];
  /** True when the run created its pool (only then may cleanup delete it). @default pool id is the run's own */
  poolCreated?: boolean;
  /** The workflow's first run id; cleanup touches only jobs and pools tagged with it. */
  runChain?: string;
  /** The user scaled a reused pool during the run: cleanup leaves it at their size. */
  userScaledPool?: boolean;
  /** The run's normalised input (hashed for the lineage; it holds no secrets). */
  input: NormalisedRunInput;
  /** The Temporal Schedule that started the run (`TemporalScheduledById`), if any. */
  scheduleId?: string;
}

export interface FinalizeRunResult {
  manifest?: string;
  finalCheck: { ok: boolean; problems: number };
  collated: number;
  cleanedUp: string[];
  lineage: Lineage;
  diff?: RunDiff;
}

/** The steps, each taking and returning only small values. */
export interface FinalizeSteps {
  verifyRunOutputs(req: VerifyRunOutputsRequest): Promise<VerifiedRun>;
  collateRunOutputs(ref: FinalizeRef): Promise<Collated>;
  checkRunOutputs(req: CheckRunOutputsRequest): Promise<FinalCheckSummary>;
  mergeRunTo2020(req: CheckRunOutputsRequest): Promise<FinalCheckSummary>;
  traceRunLineage(req: TraceRunLineageRequest): Promise<TracedLineage>;
  writeRunManifest(req: WriteRunManifestRequest): Promise<WrittenManifest>;
  cleanUpRun(req: ReleaseRunRequest): Promise<string[]>;
}

/** What clean-up releases, from finalize's request. */
export function releaseRequestOf(req: FinalizeRunRequest): ReleaseRunRequest {
  return {
    runId: req.runId,
    jobId: req.jobId,
    poolId: req.poolId,
    container: req.container,
    poolCreated: req.poolCreated ?? req.poolId === poolIdOf(req.runId),
    cleanup: req.cleanup,
    ...(req.runChain && { runChain: req.runChain }),
    ...(req.userScaledPool && { userScaledPool: true }),
    // A redrive never deletes the container: it holds the original run's outputs.
    keepContainer: Boolean(req.input.redrive),
  };
}

/** Runs finalize's steps in order; the result has the shape `finalizeRun` always returned. */
export async function finalizeSequence(req: FinalizeRunRequest, steps: FinalizeSteps): Promise<FinalizeRunResult> {
  const { runId, container } = req;
  const redrive = Boolean(req.input.redrive);
  const verified = await steps.verifyRunOutputs({
    runId,
    container,
    ...(req.packedLads && { packedLads: req.packedLads }),
    ...(req.input.lads && { inputLads: req.input.lads }),
    ...(req.lads && { lads: req.lads }),
    ...(req.results && { results: req.results }),
    expectedFiles: req.expectedFiles,
  });
  const ref: FinalizeRef = { runId, container, pages: verified.pages };
  const { collated } = await steps.collateRunOutputs(ref);
  await steps.checkRunOutputs({ ...ref, redrive, expectedFiles: req.expectedFiles });
  if (req.input.merge2020) await steps.mergeRunTo2020({ ...ref, redrive });
  const traced = await steps.traceRunLineage({ ...ref, input: req.input, ...(req.scheduleId && { scheduleId: req.scheduleId }) });
  const written = await steps.writeRunManifest({
    ...ref,
    jobId: req.jobId,
    poolId: req.poolId,
    collated,
    lineage: traced.lineage,
    ...(traced.previous && { previous: traced.previous }),
    ...(traced.diff && { diffedWith: traced.diff.previousRunId }),
    redrive,
    merge2020: req.input.merge2020,
    ...(req.scheduleId && { scheduleId: req.scheduleId }),
  });
  const cleanedUp = await steps.cleanUpRun(releaseRequestOf(req));
  return { manifest: written.manifest, finalCheck: written.finalCheck, collated, lineage: traced.lineage, ...(traced.diff && { diff: traced.diff }), cleanedUp };
}
