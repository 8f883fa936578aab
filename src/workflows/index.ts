/**
 * The workflows of spc-temporal (this file is the worker's `workflowsPath`).
 *
 * Terminology:
 * - run: one execution of the SPC pipeline over a list of LADs; the `spcRun` workflow, whose id is the run id
 *   (e.g. `spc-20261128-0200`). It may continue as new; the workflow id stays the run id.
 * - LAD: a Local Authority District, e.g. `E06000001`; one `ladRun` child workflow per LAD, id `<runId>/<LAD>`.
 * - attempt: one try of a LAD; each attempt is its own Batch task, id `<LAD>-a<attempt>`.
 * - task: a Batch task, running the recipe's command line for one LAD on one node.
 * - job: the Batch job holding a run's tasks, id `spc-<runId>`.
 * - pool: the Batch pool of nodes the job runs on (created for the run, or reused by id).
 * - recipe: what a task runs (`spenser-sim` offline, `spenser` on Azure, or a custom command).
 * - output manifest: `manifest.json` in the run's container: per LAD status, attempts, task ids, node, times,
 *   exit code and output files with size and MD5.
 */
export { spcRun } from './spc-run';
export { ladRun } from './lad-run';
export { smokeWorkflow } from './smoke';
export { spcReaper } from './reaper';
