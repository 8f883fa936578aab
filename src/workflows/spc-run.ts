/**
 * spcRun: a whole run. Validate -> read the LADs -> prepare (container, inputs, pool, job) -> one ladRun child
 * per LAD, started as slots under the cap free up, none while paused -> finalize (verify, manifest, collate,
 * final check, cleanup) -> summary. Past `continueAsNewAfterEvents` (or when the server suggests it) the run
 * continues as new carrying its state, so its history stays bounded whatever the LAD count. The LADs in flight keep
 * running meanwhile (the pool stays busy): they outlive the run that started them and report to the next by signal.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  getExternalWorkflowHandle,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  sleep,
  startChild,
  TerminatedFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SpcActivities } from '../activities';
import { containerOf, jobIdOf, ladWorkflowIdOf, poolIdOf } from '../schemas/names';
import type { NormalisedRunInput, RawRunInput } from '../schemas/run-input';
import { packLads } from '../schemas/packed-lads';
import type { PackedRunState, RunState } from '../schemas/run-state';
import type { RunSummary } from '../schemas/summary';
import { controlActivityOptions, finalizeActivityOptions } from './activity-options';
import { claimSlots } from './eta';
import { finalizeSteps } from './finalize-steps';
import { rankOf } from './lad-order';
import { ladRun } from './lad-run';
import { runInputSchemas, runStateSchemas } from './lazy-schemas';
import { FINALIZE_ONCE, FINALIZE_STEPS, LAD_CANCELLED_ALONE, LAD_INPUT_VERSION, LAD_ORDER, LAD_VERSION_IN_INPUT, JOB_QUOTA_WAIT, NO_DRAIN, PACKED_STATE, POOL_WATCH, PREPARE_WHOLE, STRICT_INPUT, RELEASE_ON_FAILURE, RELEASE_UNPREPARED } from './patches';
import { registerControls } from './run-controls';
import { startPoolWatch, type PoolWatch } from './pool-watch';
import { budgetExceeded } from './pool-watch-state';
import { publishRunMemo } from './run-memo';
import * as rs from './run-state';
import { SpcLadCountKey, SpcLadKey, SpcRunIdKey, SpcStatusKey, TemporalScheduledByIdKey } from './search-attributes';

// Each proxy carries a summary the Web UI shows on the activity (user metadata).
const { readLadsCsv } = proxyActivities<SpcActivities>({ ...controlActivityOptions, summary: 'read the LAD list CSV' });
const { checkRunInputs } = proxyActivities<SpcActivities>({ ...controlActivityOptions, summary: 'check the run inputs exist' });
const { prepareRun } = proxyActivities<SpcActivities>({ ...controlActivityOptions, summary: 'prepare: container, recipe inputs, pool, job' });
const { stopRun } = proxyActivities<SpcActivities>({ ...controlActivityOptions, summary: 'stop: terminate the Batch job' });
const { releaseRun } = proxyActivities<SpcActivities>({ ...controlActivityOptions, summary: 'release: job and pool per the cleanup policy' });
const { terminateLadTasks } = proxyActivities<SpcActivities>({ ...controlActivityOptions, summary: 'terminate the Batch tasks of a LAD cancelled alone' });
const { planLadOrder } = proxyActivities<SpcActivities>({ ...controlActivityOptions, summary: 'plan the LAD order from earlier runs' });
const { finalizeRun } = proxyActivities<SpcActivities>({ ...finalizeActivityOptions, summary: 'finalize: verify, manifest, collate, final check, cleanup' });

/**
 * Children started per workflow task. The next wave starts when the previous one's children have started (their
 * ChildWorkflowExecutionStarted events wake the loop, so waves cost no extra events). Why: one workflow task that
 * started 1,000 children at once crashed the worker here ("async hook stack has become corrupted").
 */
const START_WAVE = 100;

/** Set by anything the fan-out loop must react to (a child result, a signal); cleared before each wait. */
interface Wakeup {
  flag: boolean;
}

/** The LAD children of this run of the chain. */
interface Fleet {
  /** Settles when a child's result (or failure) has been recorded. */
  inFlight: Set<Promise<void>>;
  /** LADs whose child this run started (the other running ones an earlier run of the chain started). */
  startedHere: Set<string>;
  /** Children asked for but not started yet: a continue-as-new waits for them, or the server might never start them. */
  starting: number;
  /**
   * Whether LADs outlive a continue-as-new (since 0.2): children are started with parent close policy ABANDON, since
   * the policy applies when a run continues as new too, and the run continues without waiting for them.
   */
  outliveContinue: boolean;
  /** The ladRun behaviour asked for in each child's input (since 0.3); undefined: the children ask patches. */
  ladVersion: number | undefined;
}

/** Runs the SPC pipeline over a list of LADs; `carried` is only given by continue-as-new. */
export async function spcRun(raw: RawRunInput, carried?: PackedRunState | RunState): Promise<RunSummary> {
  // Unknown keys are refused from 0.2 on; runs begun before (and their continuations) drop them as they did then.
  const parsed = runInputSchemas().parseRunInput(raw, workflowInfo().workflowId, { dropUnknownKeys: carried !== undefined || !patched(STRICT_INPUT) });
  if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.message, 'InvalidInputError');
  const input = parsed.input;
  const state: RunState = carried ? carriedState(carried, input) : rs.newRunState(input, input.lads ?? [], Date.now());
  const wakeup: Wakeup = { flag: false };
  const controls = registerControls(state, () => (wakeup.flag = true));
  upsertSearchAttributes([
    { key: SpcRunIdKey, value: input.runId },
    { key: SpcStatusKey, value: state.status },
  ]);

  const children = new CancellationScope();
  const fleet: Fleet = { inFlight: new Set(), startedHere: new Set(), starting: 0, outliveContinue: patched(NO_DRAIN), ladVersion: patched(LAD_VERSION_IN_INPUT) ? LAD_INPUT_VERSION : undefined };
  // One timer for the run deadline (not one per wait: each would add two events per wake-up to the history).
  const deadline = new CancellationScope();
  deadline.run(() => sleep(Math.max(1, state.deadline - Date.now()))).then(
    () => (wakeup.flag = true),
    () => undefined,
  );
  let watch: PoolWatch | undefined;
  let vmSizeIndex = 0;
  try {
    if (!carried) {
      // A cancel during prepare waits for it: otherwise a Pool_Add in flight could create the pool after the
      // cancel's cleanup looked for it. The cancel then takes effect at the first wait after.
      // A cancel still ends a wait for the job quota (nothing exists then); `cancelRequested` settles on a cancel.
      const cancelled = CancellationScope.current().cancelRequested;
      cancelled.catch(() => undefined);
      if (patched(PREPARE_WHOLE)) vmSizeIndex = await CancellationScope.nonCancellable(() => prepare(input, state, cancelled));
      else vmSizeIndex = await prepare(input, state, cancelled);
    }
    void controls.run();
    if (state.prepared && patched(POOL_WATCH)) watch = startPoolWatch(input, state, vmSizeIndex, () => (wakeup.flag = true));
    const outcome = await children.run(() => fanOut(input, state, fleet, wakeup));
    deadline.cancel();
    // A last reading: the node time since the watch's last report, for the summary (or carried on by a continuation).
    if (watch) await watch.stop(true);
    if (outcome === 'continue') {
      await condition(() => controls.idle() && allHandlersFinished());
      state.continuedAsNew += 1;
      log.info('continuing as new', { runId: state.runId, historyLength: workflowInfo().historyLength });
      return await continueAsNew<typeof spcRun>(input, patched(PACKED_STATE) ? rs.packRunState(state, input.lads) : state);
    }
    if (state.stop) await stopChildren(input, state, children, fleet);
    await condition(() => controls.idle());
    if (!patched(FINALIZE_ONCE)) return await finalize(input, state);
    // Once begun, finalize runs to its end: a cancel arriving now would only start a second one. It is noted.
    CancellationScope.current().cancelRequested.catch(() => rs.audit(state, Date.now(), 'cancel ignored', 'the run was already finalizing'));
    return await CancellationScope.nonCancellable(() => finalize(input, state));
  } catch (err) {
    // Continuing as new is not an end: the next run of the chain goes on with the job and pool.
    if (err instanceof ContinueAsNew) throw err;
    if (watch) await CancellationScope.nonCancellable(() => watch!.stop(false));
    if (!isCancellation(err)) {
      // A failure (not a cancel) ends the run: nothing it holds in Batch may outlive it.
      if (patched(RELEASE_ON_FAILURE)) await CancellationScope.nonCancellable(() => releaseHeld(input, state, input.cleanup.onFailure));
      throw err;
    }
    // `temporal workflow cancel`: the children scope is cancelled with ours; stop Batch, record, clean up.
    await CancellationScope.nonCancellable(async () => {
      rs.requestStop(state, Date.now(), 'cancelled', 'workflow cancellation requested');
      await stopChildren(input, state, children, fleet);
      if (!state.prepared && patched(RELEASE_UNPREPARED)) await releaseHeld(input, state, input.cleanup.onFailure);
      await finalize(input, state);
    });
    throw err;
  }
}

/** The state a continue-as-new carried: packed since 0.2, whole before. */
function carriedState(carried: PackedRunState | RunState, input: NormalisedRunInput): RunState {
  const { PackedRunStateSchema, RunStateSchema } = runStateSchemas();
  if ('format' in carried) return rs.unpackRunState(PackedRunStateSchema.parse(carried), input.lads);
  return RunStateSchema.parse(carried);
}

/** The names a run's job, pool and container have (derived, so known before prepare has finished). */
function plannedOf(input: NormalisedRunInput): { jobId: string; poolId: string; container: string; poolCreated: boolean } {
  const poolCreated = input.pool.id === 'create';
  return {
    jobId: jobIdOf(input.runId),
    poolId: poolCreated ? poolIdOf(input.runId) : input.pool.id,
    container: input.redrive?.container ?? containerOf(input.runId),
    poolCreated,
  };
}

/** Releases the job and pool per `cleanup` without finalizing (nothing to verify); the activity checks the tags. */
async function releaseHeld(input: NormalisedRunInput, state: RunState, cleanup: NormalisedRunInput['cleanup']['onFailure']): Promise<void> {
  const done = await releaseRun({
    runId: input.runId,
    ...plannedOf(input),
    ...state.prepared,
    cleanup: cleanup.filter((c) => c !== 'container'),
    runChain: workflowInfo().firstExecutionRunId,
    ...(state.userScaledPool && { userScaledPool: true }),
  });
  if (done.length) rs.audit(state, Date.now(), 'released', done.join('; '));
}

/**
 * Prepares, waiting while the account's active-job quota is full (nothing exists yet then: the job is created
 * first): a durable timer per try, an audit entry, until a job of another run ends, the run is cancelled (`cancelled`
 * settles: prepare itself is not cancellable) or its deadline passes.
 */
async function prepareWhenJobQuotaAllows(input: NormalisedRunInput, state: RunState, request: Parameters<typeof prepareRun>[0], cancelled: Promise<never>): ReturnType<typeof prepareRun> {
  for (let tries = 1; ; tries++) {
    try {
      return await prepareRun(request);
    } catch (err) {
      const quotaFull = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'BatchJobQuotaReached';
      if (!quotaFull || Date.now() + input.timeouts.quotaRetryMs >= state.deadline) throw err;
      if (tries === 1) {
        rs.audit(state, Date.now(), 'waiting for the job quota', (err.cause as ApplicationFailure).message);
        publishRunMemo(state, 'waiting for the job quota');
      }
      await Promise.race([sleep(input.timeouts.quotaRetryMs, { summary: 'wait for the active-job quota' }), cancelled]);
    }
  }
}

/**
 * Reads and checks the LADs and inputs (failing at once, before anything exists), then prepares Batch and Storage.
 * @returns the index in `pool.vmSizes` of the size the pool was made with
 */
async function prepare(input: NormalisedRunInput, state: RunState, cancelled: Promise<never>): Promise<number> {
  try {
    if (input.ladsCsvBlob) {
      const lads = await readLadsCsv({ source: input.ladsCsvBlob });
      state.ladOrder = lads;
      state.lads = Object.fromEntries(lads.map((lad) => [lad, { status: 'queued' as const, attempts: 0 }]));
    }
    await checkRunInputs({ recipe: input.recipe, ...costCheckOf(input) });
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      throw ApplicationFailure.nonRetryable(err.cause.message, 'InvalidInputError');
    }
    throw err;
  }
  upsertSearchAttributes([{ key: SpcLadCountKey, value: state.ladOrder.length }]);
  const request = {
    runId: input.runId,
    recipe: input.recipe,
    pool: input.pool,
    ...(input.redrive && { container: input.redrive.container }),
    runChain: workflowInfo().firstExecutionRunId,
    deadline: state.deadline,
    ...(input.priority !== undefined && { priority: input.priority }),
  };
  const prepared = patched(JOB_QUOTA_WAIT) ? await prepareWhenJobQuotaAllows(input, state, request, cancelled) : await prepareRun(request);
  state.prepared = { container: prepared.container, jobId: prepared.jobId, poolId: prepared.poolId, ...(prepared.poolCreated !== undefined && { poolCreated: prepared.poolCreated }) };
  state.pool = prepared.pool;
  if (patched(LAD_ORDER)) await planOrder(input, state);
  state.status = state.paused ? 'paused' : 'running';
  upsertSearchAttributes([{ key: SpcStatusKey, value: state.status }]);
  for (const refusal of prepared.refused ?? []) rs.audit(state, Date.now(), 'vm size fallback', `pool ${prepared.poolId}: Pool_Add refused ${refusal}`);
  publishRunMemo(state, 'prepared');
  return prepared.vmSizeIndex ?? 0;
}

/** What checkRunInputs checks of the cost settings (only when the run sets some: the shipped rates are known good). */
function costCheckOf(input: NormalisedRunInput): { cost?: Parameters<typeof checkRunInputs>[0]['cost'] } {
  if (input.cost.ratesFile === undefined && input.budget === undefined) return {};
  const { vmSizes, dedicatedNodes, lowPriorityNodes } = input.pool;
  return { cost: { ratesFile: input.cost.ratesFile, budget: input.budget, vmSizes, dedicated: dedicatedNodes > 0, spot: lowPriorityNodes > 0 } };
}

/** Expected durations from earlier runs and the order they give (lad-order.ts), kept in the state and the container. */
async function planOrder(input: NormalisedRunInput, state: RunState): Promise<void> {
  const planned = await planLadOrder({
    runId: input.runId,
    container: state.prepared!.container,
    lads: state.ladOrder,
    recipe: input.recipe,
    ...(input.order && { order: input.order }),
    ...(input.durationsFrom && { durationsFrom: input.durationsFrom }),
    ...(scheduleIdOf() && !input.redrive && { scheduleId: scheduleIdOf() }),
  });
  state.plan = { used: planned.used, reason: planned.reason, ...(planned.expected && { expected: planned.expected }), slotsPerNode: input.pool.taskSlotsPerNode };
  rs.audit(state, Date.now(), 'order', planned.used, planned.reason);
}

/** Starts children as the cap and pause allow, until all LADs finish, the run stops, or history asks to continue. */
async function fanOut(input: NormalisedRunInput, state: RunState, fleet: Fleet, wakeup: Wakeup): Promise<'done' | 'continue'> {
  for (;;) {
    const now = Date.now();
    if (now >= state.deadline) rs.requestStop(state, now, 'failed', `run timeout (${input.timeouts.runMs} ms) reached`);
    if (rs.thresholdExceeded(state, input.failureThreshold)) {
      rs.requestStop(state, now, 'failed', `failure threshold exceeded (${JSON.stringify(input.failureThreshold)})`);
    }
    const overBudget = budgetExceeded(state);
    if (overBudget) rs.requestStop(state, now, 'failed', overBudget);
    if (state.stop || rs.allFinished(state)) return 'done';
    claimSlots(state, now);
    const info = workflowInfo();
    const mustContinue = info.continueAsNewSuggested || info.historyLength > input.continueAsNewAfterEvents;
    // Before 0.2 the run drained: it waited for every LAD in flight before continuing.
    if (mustContinue && (fleet.outliveContinue ? fleet.starting === 0 : fleet.inFlight.size === 0)) return 'continue';
    if (!mustContinue) {
      const wave = rs.ladsToStart(state, input.maxConcurrentLads).slice(0, START_WAVE);
      for (const lad of wave) startLad(input, state, lad, fleet, wakeup);
    }
    wakeup.flag = false;
    // Wake on a child result, a signal, or the run deadline.
    await condition(() => wakeup.flag);
  }
}

/** Starts one LAD's child; its result (or failure) lands in the state exactly once. */
function startLad(input: NormalisedRunInput, state: RunState, lad: string, fleet: Fleet, wakeup: Wakeup): void {
  const prepared = state.prepared!;
  rs.markStarted(state, lad);
  fleet.startedHere.add(lad);
  fleet.starting += 1;
  const child: Promise<void> = startChild(ladRun, {
    workflowId: ladWorkflowIdOf(input.runId, lad),
    staticSummary: `LAD ${lad} of run ${input.runId}`,
    // ABANDON: a LAD outlives a continue-as-new; a terminated run's LADs are cancelled by the reaper. Before 0.2 a
    // terminated run cancelled its LADs through this policy, whose awaiting activities then terminated their tasks.
    parentClosePolicy: fleet.outliveContinue ? ParentClosePolicy.ABANDON : ParentClosePolicy.REQUEST_CANCEL,
    args: [
      {
        runId: input.runId,
        lad,
        jobId: prepared.jobId,
        container: prepared.container,
        recipe: input.recipe,
        retry: input.retry,
        timeouts: input.timeouts,
        expectedFiles: input.outputs.expectedFiles,
        pollIntervalMs: input.pollIntervalMs,
        firstAttempt: state.lads[lad].attempts + 1,
        ...(rankOf(state, lad) !== undefined && { rank: rankOf(state, lad) }),
        ...(fleet.ladVersion !== undefined && { version: fleet.ladVersion }),
      },
    ],
    typedSearchAttributes: [
      { key: SpcRunIdKey, value: input.runId },
      { key: SpcLadKey, value: lad },
      { key: SpcStatusKey, value: 'running' },
    ],
  })
    .then(
      (handle) => {
        fleet.starting -= 1;
        wakeup.flag = true;
        return handle.result();
      },
      (err: unknown) => {
        fleet.starting -= 1;
        throw err;
      },
    )
    .then(
      (result) => void rs.markFinished(state, result),
      async (err: unknown) => {
        const cause = err instanceof ChildWorkflowFailure ? err.cause : undefined;
        const endedAlone = !state.stop && (isCancellation(cause) || cause instanceof TerminatedFailure);
        if (endedAlone && patched(LAD_CANCELLED_ALONE)) {
          // Cancelled or terminated on its own (Web UI, CLI): free its slot, stop its task, let the run go on.
          const why = cause instanceof TerminatedFailure ? 'its workflow was terminated' : 'its workflow was cancelled';
          rs.markCancelled(state, lad, Date.now(), why);
          // Best effort, and never a rejection left unhandled (the run may be cancelled meanwhile; stopRun then
          // terminates the whole job).
          await terminateLadTasks({ jobId: prepared.jobId, lad }).catch((e: unknown) => log.warn('terminating the tasks of a LAD failed', { lad, error: (e as Error).message }));
          return;
        }
        if (isCancellation(err) || (err instanceof ChildWorkflowFailure && isCancellation(err.cause))) return;
        // A child broken by the run's own stop (its job terminated under it) is cancelled with the rest, not failed.
        if (state.stop) return;
        log.error('ladRun failed', { lad, error: (err as Error).message });
        rs.markFinished(state, { lad, status: 'failed', attempts: [], error: (err as Error).message });
      },
    )
    .finally(() => {
      fleet.inFlight.delete(child);
      wakeup.flag = true;
    });
  fleet.inFlight.add(child);
}

/**
 * Stops a run: terminate the Batch job (no task keeps running), cancel the children, wait for this run's to settle.
 * The LADs an earlier run of the chain started are not this run's children: they are asked to cancel by workflow id.
 */
async function stopChildren(input: NormalisedRunInput, state: RunState, children: CancellationScope, fleet: Fleet): Promise<void> {
  if (state.prepared) await stopRun({ jobId: state.prepared.jobId, reason: state.stop?.reason ?? 'stopped' });
  children.cancel();
  if (fleet.outliveContinue) {
    await Promise.all(
      rs.adoptedLads(state, fleet.startedHere).map((lad) =>
        // Already closed (it finished as the run stopped) is fine: there is nothing left to stop.
        getExternalWorkflowHandle(ladWorkflowIdOf(input.runId, lad)).cancel().catch((err: unknown) => log.info('could not cancel a LAD of an earlier run', { lad, error: (err as Error).message })),
      ),
    );
  }
  await Promise.all([...fleet.inFlight]);
  rs.markUnfinishedCancelled(state);
}

/** Verifies, collates, runs the final check, writes the manifest and cleans up per policy (finalize-steps.ts); then the summary. */
async function finalize(input: NormalisedRunInput, state: RunState): Promise<RunSummary> {
  state.status = 'finalizing';
  upsertSearchAttributes([{ key: SpcStatusKey, value: state.status }]);
  publishRunMemo(state, 'lads finished');
  const outcome = rs.finalStatus(state);
  const request = state.prepared && {
    runId: state.runId,
    ...state.prepared,
    // Packed (a few characters per LAD): finalize reads each LAD's full result from the container.
    packedLads: packLads(state.ladOrder, state.lads, input.lads),
    expectedFiles: input.outputs.expectedFiles,
    cleanup: outcome === 'completed' ? input.cleanup.onSuccess : input.cleanup.onFailure,
    poolCreated: state.prepared.poolCreated ?? input.pool.id === 'create',
    runChain: workflowInfo().firstExecutionRunId,
    ...(state.userScaledPool && { userScaledPool: true }),
    input,
    // A redrive is not a night of its schedule: it neither reads nor moves the schedule's lineage pointer.
    ...(scheduleIdOf() && !input.redrive && { scheduleId: scheduleIdOf() }),
  };
  // Since 0.2 each step is its own activity; runs that began before go on with the single one.
  const extra = request ? await (patched(FINALIZE_STEPS) ? finalizeSteps(request) : finalizeRun(request)) : { cleanedUp: [] };
  state.status = outcome;
  upsertSearchAttributes([{ key: SpcStatusKey, value: state.status }]);
  publishRunMemo(state, 'finished');
  return rs.summaryOf(state, Date.now(), extra);
}

/** The id of the Schedule that started this run, if one did (Temporal sets `TemporalScheduledById`). */
function scheduleIdOf(): string | undefined {
  return workflowInfo().typedSearchAttributes.get(TemporalScheduledByIdKey);
}
