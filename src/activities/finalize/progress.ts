/**
 * How a finalize step remembers how far it got: its progress goes out as heartbeat details, so a retried attempt
 * (after a worker died or a call failed) starts from `resumed` instead of the beginning. Each heartbeat replaces
 * the details, so long calls between two saves heartbeat the progress last saved (`alive`), never empty details.
 */
import { activityInfo, heartbeat } from '@temporalio/activity';

export interface StepProgress<P> {
  /** The progress the previous attempt last saved, if any. */
  readonly resumed: P | undefined;
  /** Saves progress: a retry starts from it. */
  save(progress: P): void;
  /** Heartbeats with the progress last saved (keeps the step alive through long calls). */
  alive(): void;
}

/** The progress of the running activity: resumed from its heartbeat details, saved as heartbeats. */
export function activityProgress<P>(): StepProgress<P> {
  const resumed = activityInfo().heartbeatDetails as P | undefined;
  let last = resumed;
  return {
    resumed,
    save(progress) {
      last = progress;
      heartbeat(progress);
    },
    alive: () => heartbeat(last),
  };
}

/** Heartbeat details of several steps run inside one activity (the 0.1-compatible `finalizeRun`). */
export interface ComposedProgress {
  /** Results of the steps done, by name. */
  done: Record<string, unknown>;
  /** The step under way and its own progress. */
  step?: string;
  progress?: unknown;
}

/**
 * Runs named steps one after another inside the running activity, each resumable as if it were its own activity:
 * a retry skips the steps done (their results are in the details) and resumes the one under way.
 */
export function composedSteps(resumed: ComposedProgress | undefined) {
  const state: ComposedProgress = { done: { ...resumed?.done }, ...(resumed?.step && { step: resumed.step, progress: resumed.progress }) };
  return async function step<R, P = never>(name: string, run: (progress: StepProgress<P>) => Promise<R>): Promise<R> {
    if (name in state.done) return state.done[name] as R;
    const progress: StepProgress<P> = {
      resumed: state.step === name ? (state.progress as P) : undefined,
      save(p) {
        state.step = name;
        state.progress = p;
        heartbeat(state);
      },
      alive: () => heartbeat(state),
    };
    const result = await run(progress);
    state.done[name] = result;
    delete state.step;
    delete state.progress;
    heartbeat(state);
    return result;
  };
}
