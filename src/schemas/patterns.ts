/**
 * The patterns run inputs are checked against, without zod: the zod schemas (run-input.ts) and ladRun's zod-free
 * input check (lad-input-check.ts) both use these, so the two cannot drift apart on what a name may be.
 */

/** A LAD code: E, W, S or N then 8 digits. Anything else is rejected, never pasted into a command line. */
export const LAD_CODE_REGEX = /^[EWSN]\d{8}$/;

/**
 * Longest run id: `spc-<runId>` must fit Batch ids (64) and container names (63), and a scheduled run's id
 * (`<scheduleId>-<yyyy-mm-ddThh-mm-ssZ>`) must keep its seconds, or two triggers in one minute would share a run id.
 */
export const MAX_RUN_ID_LENGTH = 56;

/** Ids we derive Batch and Storage names from: letters, digits, `-`, `_`, at most {@link MAX_RUN_ID_LENGTH}. */
export const RUN_ID_REGEX = /^[A-Za-z0-9][A-Za-z0-9_-]{0,55}$/;
export const RUN_ID_RULE = `must be 1-${MAX_RUN_ID_LENGTH} letters, digits, "-" or "_", starting with a letter or digit`;

/** A blob container name: 3-63 lowercase letters, digits and single hyphens, starting and ending alphanumeric. */
export const CONTAINER_NAME_REGEX = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

/** A path relative to a task's working directory: no leading `/`, no `..`. */
export const RELATIVE_PATH_REGEX = /^(?!\/)(?!.*\.\.)[A-Za-z0-9._/-]+$/;
export const RELATIVE_PATH_RULE = 'must be a relative path of letters, digits, ".", "_", "-", "/"';

/** An environment variable name. */
export const ENV_NAME_REGEX = /^[A-Z_][A-Z0-9_]*$/;
