/* eslint-disable @typescript-eslint/no-require-imports -- requiring on first use is the point of this module */
/**
 * The zod schemas workflow code needs, loaded on first use rather than at module scope. Why: the worker evaluates
 * the workflow bundle's module graph once per cached workflow (the SDK's reusable V8 context keeps a module cache
 * per workflow), and zod with our schemas cost about 1.5 MiB of heap per copy (scripts/probe-workflow-memory.ts,
 * 500 workflows: 1,529 KiB of V8 heap per cached workflow against 64 KiB for a bare bundle; 82 KiB now). Only the few workflows that parse with zod pay
 * for it now: spcRun (its input, carried state, signals and queries), spcReaper and smokeWorkflow. ladRun, cached by
 * the thousand, checks its input without zod (schemas/lad-input-check.ts). Each `require` names its module
 * literally so that webpack bundles it; the bundle then evaluates it in the calling workflow's own module cache.
 * Loading a module issues no workflow command, so this changes no history (test/run/replay.test.ts).
 */
type RunInputModule = typeof import('../schemas/run-input');
type RunStateModule = typeof import('../schemas/run-state');
type ControlModule = typeof import('../schemas/control');
type ProgressModule = typeof import('../schemas/progress');
type ReaperModule = typeof import('../schemas/reaper');
type SmokeModule = typeof import('../schemas/smoke');

/** parseRunInput and the run input's schemas. */
export const runInputSchemas = (): RunInputModule => require('../schemas/run-input') as RunInputModule;
/** The continue-as-new state's schemas. */
export const runStateSchemas = (): RunStateModule => require('../schemas/run-state') as RunStateModule;
/** Payloads of the pause, resume, cancel and scalePool messages. */
export const controlSchemas = (): ControlModule => require('../schemas/control') as ControlModule;
/** The progress query's argument. */
export const progressSchemas = (): ProgressModule => require('../schemas/progress') as ProgressModule;
/** spcReaper's input. */
export const reaperSchemas = (): ReaperModule => require('../schemas/reaper') as ReaperModule;
/** smokeWorkflow's input. */
export const smokeSchemas = (): SmokeModule => require('../schemas/smoke') as SmokeModule;
