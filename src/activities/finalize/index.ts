/**
 * Finalize's activities: one per step (the workflow calls them in order, src/workflows/finalize-steps.ts), each
 * resuming from its heartbeat details; and `finalizeRun`, every step inside one activity, kept for runs that
 * scheduled it before the steps existed (patch `spc-0.2-finalize-steps`).
 */
import { activityInfo } from '@temporalio/activity';
import type { BatchServiceClient } from '@azure/batch';
import type { BlobServiceClient } from '@azure/storage-blob';
import { finalizeSequence, releaseRequestOf, type FinalizeRunRequest, type FinalizeRunResult, type FinalizeSteps } from '../../outputs/finalize-sequence';
import { releaseRun, type ReleaseRunRequest } from '../cleanup';
import { cleanUpRun } from './clean-up';
import { collateRunOutputs } from './collate';
import { checkRunOutputs, type CheckRunOutputsRequest } from './final-check';
import { mergeRunTo2020 } from './merge-to-2020';
import { activityProgress, composedSteps, type ComposedProgress } from './progress';
import { traceRunLineage, type TraceRunLineageRequest } from './trace-lineage';
import { verifyRunOutputs, type VerifyRunOutputsRequest } from './verify-outputs';
import type { FinalizeRef } from './workspace';
import { writeRunManifest, type WriteRunManifestRequest } from './write-manifest';

/** Heartbeat details of a `finalizeRun` of an older worker: its result once the manifest was written. */
interface OlderFinalizeProgress {
  result?: Omit<FinalizeRunResult, 'cleanedUp'>;
}

export function createFinalizeActivities({ batch, blobs }: { batch: BatchServiceClient; blobs: BlobServiceClient }) {
  const steps = {
    /** Step 1: every LAD's manifest entry (record, files, contract check) into the workspace. */
    verifyRunOutputs: (req: VerifyRunOutputsRequest) => verifyRunOutputs(blobs, req, activityProgress()),
    /** Step 2: the `ass_*` files of succeeded LADs copied into `<region>/<year>/`. */
    collateRunOutputs: (ref: FinalizeRef) => collateRunOutputs(blobs, ref, activityProgress()),
    /** Step 3: the final check over the region folders. */
    checkRunOutputs: (req: CheckRunOutputsRequest) => checkRunOutputs(blobs, req),
    /** Step 4 (merge2020 only): the 2011 LADs merged into 2020 LADs, the check redone on the 2020 list. */
    mergeRunTo2020: (req: CheckRunOutputsRequest) => mergeRunTo2020(blobs, req, activityProgress()),
    /** Step 5: lineage and the diff against the schedule's previous run. */
    traceRunLineage: (req: TraceRunLineageRequest) => traceRunLineage(blobs, req, activityProgress()),
    /** Step 6: manifest.json (a redrive's merged into its original's) and the lineage pointer. */
    writeRunManifest: (req: WriteRunManifestRequest) => writeRunManifest(blobs, req, activityProgress()),
    /** Step 7: the workspace deleted, the job, pool and container released per the policy. */
    cleanUpRun: (req: ReleaseRunRequest) => cleanUpRun(batch, blobs, req),
  } satisfies FinalizeSteps;

  return {
    ...steps,

    /**
     * Every step of finalize in one activity (runs that scheduled it before the steps existed). A retry resumes:
     * steps done are skipped (their results are in the heartbeat details), the one under way continues.
     */
    async finalizeRun(req: FinalizeRunRequest): Promise<FinalizeRunResult> {
      const resumed = activityInfo().heartbeatDetails as (OlderFinalizeProgress & Partial<ComposedProgress>) | undefined;
      // An older worker's try wrote the manifest: only the release was left.
      if (resumed?.result) return { ...resumed.result, cleanedUp: await releaseRun(batch, blobs, releaseRequestOf(req)) };
      const step = composedSteps(resumed?.done ? { done: resumed.done, ...(resumed.step && { step: resumed.step, progress: resumed.progress }) } : undefined);
      return finalizeSequence(req, {
        verifyRunOutputs: (r) => step('verifyRunOutputs', (p) => verifyRunOutputs(blobs, r, p)),
        collateRunOutputs: (r) => step('collateRunOutputs', (p) => collateRunOutputs(blobs, r, p)),
        checkRunOutputs: (r) => step('checkRunOutputs', () => checkRunOutputs(blobs, r)),
        mergeRunTo2020: (r) => step('mergeRunTo2020', (p) => mergeRunTo2020(blobs, r, p)),
        traceRunLineage: (r) => step('traceRunLineage', (p) => traceRunLineage(blobs, r, p)),
        writeRunManifest: (r) => step('writeRunManifest', (p) => writeRunManifest(blobs, r, p)),
        cleanUpRun: (r) => step('cleanUpRun', () => cleanUpRun(batch, blobs, r)),
      });
    },
  };
}
