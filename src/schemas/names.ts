/**
 * Names derived from a run id and a LAD (never random): the Batch job, the pool created for a run, the blob
 * container and the Batch task per attempt. Batch ids allow letters, digits, `-`, `_` (64 chars); container
 * names allow lowercase letters, digits and single hyphens (3-63 chars).
 */

/** `spc-<runId>`, without doubling the prefix of run ids that already carry it (the CLI's `spc-<date>-<time>`). */
const prefixed = (runId: string): string => (/^spc-/i.test(runId) ? runId : `spc-${runId}`);

/** The Batch job of a run, e.g. `spc-20261128-020000` or `spc-nightly-2026-11-28T02-00-00Z`. */
export const jobIdOf = (runId: string): string => prefixed(runId).slice(0, 64);

/** The pool a run creates when its pool spec says "create". */
export const poolIdOf = (runId: string): string => prefixed(runId).slice(0, 64);

/** The blob container holding a run's inputs, outputs and manifest. */
export function containerOf(runId: string): string {
  const cleaned = prefixed(runId).toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-');
  return cleaned.slice(0, 63).replace(/-$/, '');
}

/** The Batch task of one attempt of a LAD: `<LAD>-a<attempt>`. */
export const taskIdOf = (lad: string, attempt: number): string => `${lad}-a${attempt}`;

/** The child workflow of a LAD: `<runId>/<LAD>`. */
export const ladWorkflowIdOf = (runId: string, lad: string): string => `${runId}/${lad}`;

/** Blob prefix of a run's recipe inputs. */
export const INPUTS_PREFIX = 'inputs/';
/** Blob name of the manifest. */
export const MANIFEST_BLOB = 'manifest.json';

/** Blob of a LAD's full result (every attempt), written by its child for finalize: outside every LAD's folder. */
export const ladRecordBlobOf = (lad: string): string => `_spc/lads/${lad}.json`;
