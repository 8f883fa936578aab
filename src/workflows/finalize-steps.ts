/**
 * finalize as a sequence of named activities (../outputs/finalize-sequence.ts tells the story): each step is its
 * own activity in the history and the Web UI, retried and resumed on its own from its heartbeat. Only names and
 * counts pass between them, so the history grows by a few events per run, not per LAD.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { SpcActivities } from '../activities';
import { finalizeSequence, type FinalizeRunRequest, type FinalizeRunResult, type FinalizeSteps } from '../outputs/finalize-sequence';
import { finalizeActivityOptions } from './activity-options';

// Each proxy carries a summary the Web UI shows on the activity (user metadata).
const step = (summary: string) => proxyActivities<SpcActivities>({ ...finalizeActivityOptions, summary });
const steps: FinalizeSteps = {
  verifyRunOutputs: step('finalize 1: verify every LAD’s outputs, write its manifest entry').verifyRunOutputs,
  collateRunOutputs: step('finalize 2: collate ass_* files into <region>/<year>/').collateRunOutputs,
  checkRunOutputs: step('finalize 3: final check of the collated files').checkRunOutputs,
  mergeRunTo2020: step('finalize 4: merge 2011 LADs into 2020 LADs').mergeRunTo2020,
  traceRunLineage: step('finalize 5: lineage and diff with the previous run').traceRunLineage,
  writeRunManifest: step('finalize 6: write manifest.json and the lineage pointer').writeRunManifest,
  cleanUpRun: step('finalize 7: clean up per the policy').cleanUpRun,
};

/** Runs finalize's steps in order; the result has the shape the single `finalizeRun` returned. */
export function finalizeSteps(req: FinalizeRunRequest): Promise<FinalizeRunResult> {
  return finalizeSequence(req, steps);
}
