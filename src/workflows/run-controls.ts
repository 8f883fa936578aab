/**
 * Operator controls of a running spcRun: signal and update handlers change the state at once (pure functions of
 * run-state.ts) and queue the Batch side (job disable/enable, pool resize) for one control loop, so Batch sees
 * the actions in the order they were given, never two at a time.
 */
import { condition, isCancellation, log, patched, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { z } from 'zod';
import type { SpcActivities } from '../activities';
import type { ScaleRequest } from '../schemas/control';
import { formatIssues } from '../schemas/issues';
import type { PoolTarget } from '../schemas/progress';
import type { RunState } from '../schemas/run-state';
import { controlActivityOptions } from './activity-options';
import { controlSchemas } from './lazy-schemas';
import { cancelSignal, ladClosedSignal, ladFinishedSignal, ladRetryingSignal, pauseSignal, progressQuery, resumeSignal, scalePoolSignal, scalePoolUpdate } from './messages';
import { applyPause, applyResume, applyScale, audit, markClosedAlone, markFinished, markRetrying, progressOf, requestStop, scaleRejection } from './run-state';
import { SCALE_SIGNAL_VALIDATED } from './patches';
import { SpcStatusKey } from './search-attributes';

const { setJobEnabled, resizePool } = proxyActivities<SpcActivities>(controlActivityOptions);

type Control = { kind: 'pause' } | { kind: 'resume' } | { kind: 'scale'; request: ScaleRequest };
interface QueuedControl {
  control: Control;
  done: boolean;
  target?: PoolTarget;
  error?: string;
}

/** Registers every handler of spcRun and returns the control queue's driver. */
export function registerControls(state: RunState, onChange: () => void): { run(): Promise<void>; idle(): boolean } {
  const queue: QueuedControl[] = [];
  const enqueue = (control: Control): QueuedControl => {
    const item = { control, done: false };
    queue.push(item);
    return item;
  };
  const parse = <T extends z.ZodType>(schema: T, value: unknown, name: string): z.infer<T> | undefined => {
    const result = schema.safeParse(value ?? {});
    if (result.success) return result.data;
    log.warn(`ignored invalid ${name} signal`, { issues: formatIssues(result.error) });
    return undefined;
  };

  setHandler(progressQuery, (request) => progressOf(state, request ?? {}));
  setHandler(pauseSignal, (raw) => {
    const req = parse(controlSchemas().ControlRequestSchema, raw, 'pause');
    if (req && applyPause(state, Date.now(), req.reason)) {
      enqueue({ kind: 'pause' });
      upsertSearchAttributes([{ key: SpcStatusKey, value: state.status }]);
      onChange();
    }
  });
  setHandler(resumeSignal, (raw) => {
    const req = parse(controlSchemas().ControlRequestSchema, raw, 'resume');
    if (req && applyResume(state, Date.now(), req.reason)) {
      enqueue({ kind: 'resume' });
      upsertSearchAttributes([{ key: SpcStatusKey, value: state.status }]);
      onChange();
    }
  });
  setHandler(cancelSignal, (raw) => {
    const req = parse(controlSchemas().ControlRequestSchema, raw, 'cancel') ?? {};
    if (requestStop(state, Date.now(), 'cancelled', req.reason ?? 'cancelled by signal')) onChange();
  });
  setHandler(ladRetryingSignal, ({ lad, attempt }) => {
    markRetrying(state, lad, attempt);
  });
  // A LAD's result, also when it was started by an earlier run of the chain; counted once however it arrives.
  setHandler(ladFinishedSignal, (result) => {
    if (markFinished(state, result)) onChange();
  });
  setHandler(ladClosedSignal, (closed) => {
    if (markClosedAlone(state, closed, Date.now())) onChange();
  });
  setHandler(scalePoolSignal, (raw) => {
    const req = parse(controlSchemas().ScaleRequestSchema, raw, 'scalePool');
    if (!req) return;
    // Validated like the update; a signal cannot reply, so a refusal is logged and kept in the audit trail.
    const refused = patched(SCALE_SIGNAL_VALIDATED) ? scaleRejection(state) : undefined;
    if (refused) {
      log.warn('ignored scalePool signal', { reason: refused });
      audit(state, Date.now(), 'scalePool refused', refused, req.reason);
      return;
    }
    enqueue({ kind: 'scale', request: req });
  });
  setHandler(
    scalePoolUpdate,
    async (request) => {
      const item = enqueue({ kind: 'scale', request: controlSchemas().ScaleRequestSchema.parse(request) });
      await condition(() => item.done);
      if (item.error || !item.target) throw new Error(item.error ?? 'scalePool failed');
      return item.target;
    },
    {
      validator: (request) => {
        const result = controlSchemas().ScaleRequestSchema.safeParse(request);
        if (!result.success) throw new RangeError(`scalePool ${formatIssues(result.error).split('\n').join('; ')}`);
        const refused = scaleRejection(state);
        if (refused) throw new RangeError(`scalePool rejected: ${refused}`);
      },
    },
  );

  async function execute(item: QueuedControl): Promise<void> {
    const prepared = state.prepared;
    if (!prepared) return;
    const { control } = item;
    if (control.kind === 'pause' || control.kind === 'resume') {
      await setJobEnabled({ jobId: prepared.jobId, enabled: control.kind === 'resume' });
      return;
    }
    const target = await resizePool({
      poolId: prepared.poolId,
      dedicatedNodes: control.request.dedicatedNodes,
      lowPriorityNodes: control.request.lowPriorityNodes ?? state.pool?.targetLowPriority ?? 0,
      nodeDeallocationOption: control.request.nodeDeallocationOption ?? 'taskcompletion',
    });
    applyScale(state, Date.now(), target, control.request.reason);
    item.target = target;
  }

  return {
    async run(): Promise<void> {
      try {
        await loop();
      } catch (err) {
        // The run was cancelled: the main body handles that; this loop just ends.
        if (!isCancellation(err)) throw err;
      }
    },
    idle: () => queue.length === 0,
  };

  async function loop(): Promise<never> {
    for (;;) {
      // Batch calls wait until the job and pool exist; the state changes already took effect.
      await condition(() => queue.length > 0 && state.prepared !== undefined);
      const item = queue[0];
      try {
        await execute(item);
      } catch (err) {
        item.error = `${item.control.kind} failed: ${(err as Error).message}`;
        audit(state, Date.now(), `${item.control.kind} failed`, (err as Error).message);
        log.error('control failed', { control: item.control.kind, error: (err as Error).message });
      } finally {
        queue.shift();
        item.done = true;
      }
    }
  }
}
