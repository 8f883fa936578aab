/**
 * Patch ids of workflow changes that alter commands (see the README's versioning rule). Runs started before a patch
 * replay its old path; each id is deprecated (`deprecatePatch`) once no run of the release before it can be in flight.
 * Release 0.2 (issue 9, long real runs):
 */

/** spcRun ignores a scalePool signal the update would refuse (the run stopping or finished). */
export const SCALE_SIGNAL_VALIDATED = 'spc-0.2-scale-signal-validated';
/** spcRun records a LAD whose child was cancelled or terminated alone as `cancelled` and terminates its tasks. */
export const LAD_CANCELLED_ALONE = 'spc-0.2-lad-cancelled-alone';
/** spcRun releases its job and pool (by derived names, tag-checked) when cancelled before prepare finished. */
export const RELEASE_UNPREPARED = 'spc-0.2-release-unprepared';
/** spcRun releases its job and pool when it fails (anything but a cancel) after prepare began. */
export const RELEASE_ON_FAILURE = 'spc-0.2-release-on-failure';
/** spcRun finalizes once: finalize is not cancellable, and a cancel arriving during it does not start another. */
export const FINALIZE_ONCE = 'spc-0.2-finalize-once';
/** spcRun's prepare is not cancellable: a cancel waits for it, so no pool or job is created after cleanup ran. */
export const PREPARE_WHOLE = 'spc-0.2-prepare-whole';
/** Release 0.2 (issue 13, 10,000 LADs): */
/** ladRun writes its result to the run's container (`_spc/lads/<LAD>.json`) before returning it. */
export const LAD_RECORD = 'spc-0.2-lad-record';
/** spcRun carries its state across continue-as-new packed (a few characters per LAD). */
export const PACKED_STATE = 'spc-0.2-packed-state';
/** spcRun refuses unknown keys anywhere in its input (0.1 dropped nested ones silently). */
export const STRICT_INPUT = 'spc-0.2-strict-input';
/** spcRun waits (durable timer) and tries prepare again while the account's active-job quota is full. */
export const JOB_QUOTA_WAIT = 'spc-0.2-job-quota-wait';
/**
 * ladRun's awaiting activity verifies a successful task's outputs (one activity less per LAD), and ladRun sends its
 * result to its parent's workflow id by signal, so a LAD that outlives a continue-as-new reports. One patch for both:
 * each patch is a marker event in every LAD's history.
 */
export const LAD_VERIFY_IN_AWAIT_AND_REPORT = 'spc-0.2-lad-verify-in-await-and-report';
/**
 * spcRun continues as new without waiting for the LADs in flight (they keep running, started with parent close
 * policy ABANDON, and report by signal to the next run); stopping the run cancels them by workflow id.
 */
export const NO_DRAIN = 'spc-0.2-continue-without-draining';
/** spcRun finalizes as a sequence of named activities (verify, collate, check, merge, lineage, manifest, clean-up). */
export const FINALIZE_STEPS = 'spc-0.2-finalize-steps';
/** Release 0.2 (issue 10, capacity and cost): */
/** spcRun watches its pool beside the fan-out: node time and cost, budget, VM-size fallback, a pool without nodes. */
export const POOL_WATCH = 'spc-0.2-pool-watch';
/**
 * spcRun starts each ladRun with `version` in its input (LAD_INPUT_VERSION), and such a ladRun takes the 0.2
 * behaviour without asking patches: each patch costs a LAD a marker and a `TemporalChangeVersion` upsert, 4 of its
 * 22 events. One marker per parent run instead of four events per LAD.
 */
export const LAD_VERSION_IN_INPUT = 'spc-0.3-lad-version-in-input';
/**
 * The ladRun behaviour a parent asks for in the child's input (`version`). 1: the awaiting activity verifies the
 * outputs, the result is recorded in the container and signalled to the parent (LAD_VERIFY_IN_AWAIT_AND_REPORT and
 * LAD_RECORD). A later change to ladRun's commands raises this (and branches on it) instead of adding a patch; an
 * input without `version` (started by a parent before 0.3) keeps asking the patches.
 */
export const LAD_INPUT_VERSION = 1;
/** Release 0.3 (issue 14, longest first): */
/** spcRun plans its LAD order from earlier runs' durations (an activity after prepare) and starts the longest first. */
export const LAD_ORDER = 'spc-0.3-lad-order';
