/**
 * Names derived from a run id and a LAD (never random): the Batch job, the pool created for a run, the blob
 * container and the Batch task per attempt. Batch ids allow letters, digits, `-`, `_` (64 chars); container
 * names allow lowercase letters, digits and single hyphens (3-63 chars).
 */

/** The Batch job of a run, e.g. `spc-run-20261128`. */
export const jobIdOf = (runId: string): string => `spc-${runId}`.slice(0, 64);

/** The pool a run creates when its pool spec says "create". */
export const poolIdOf = (runId: string): string => `spc-${runId}`.slice(0, 64);

/** The blob container holding a run's inputs, outputs and manifest. */
export function containerOf(runId: string): string {
  const cleaned = `spc-${runId.toLowerCase()}`.replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-');
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
