/**
 * Puts the run id and LAD on each activity and workflow span, so a trace backend can find a run's (or one LAD's)
 * spans by attribute. OpenTelemetry's interceptors only record Temporal's ids; a LAD's workflow id
 * (`<runId>/<LAD>`) would otherwise have to be parsed by whoever queries.
 */
import { trace, type Attributes } from '@opentelemetry/api';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { OpenTelemetryWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptors, InjectedSink, Next } from '@temporalio/worker';
import { runIdFromWorkflowId } from '../schemas/run-input';
import { SPC_LAD_ATTR, SPC_RUN_ID_ATTR } from './types';

interface WorkflowOfActivity {
  workflowType?: string;
  workflowId?: string;
}

/**
 * `spc.run_id` and `spc.lad` of an activity or workflow span: from the activity's input when it names them
 * (`awaitLadTask` does), else from the workflow id: a ladRun's is `<runId>/<LAD>`; for an spcRun, the run id the
 * workflow derives from its id when its input names none. Other workflows (the reaper, a team's own) get none.
 */
export function spcSpanAttributes(workflow: WorkflowOfActivity, args: readonly unknown[]): Attributes {
  const attributes: Attributes = {};
  const input = args[0];
  if (typeof input === 'object' && input !== null) {
    const { runId, lad } = input as { runId?: unknown; lad?: unknown };
    if (typeof runId === 'string') attributes[SPC_RUN_ID_ATTR] = runId;
    if (typeof lad === 'string') attributes[SPC_LAD_ATTR] = lad;
  }
  const { workflowType, workflowId } = workflow;
  if (workflowId === undefined) return attributes;
  if (workflowType === 'ladRun') {
    const slash = workflowId.lastIndexOf('/');
    if (slash > 0) {
      attributes[SPC_RUN_ID_ATTR] ??= workflowId.slice(0, slash);
      attributes[SPC_LAD_ATTR] ??= workflowId.slice(slash + 1);
    }
  } else if (workflowType === 'spcRun') {
    attributes[SPC_RUN_ID_ATTR] ??= runIdFromWorkflowId(workflowId);
  }
  return attributes;
}

/**
 * Sets {@link spcSpanAttributes} on the active span: the OpenTelemetry activity span, when this interceptor comes
 * after OpenTelemetry's (it runs inside that span; the process's context manager makes it the active one).
 */
class SpcSpanAttributesInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: ActivityContext) {}

  execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const { workflowType, workflowExecution } = this.ctx.info;
    trace.getActiveSpan()?.setAttributes(spcSpanAttributes({ workflowType, workflowId: workflowExecution?.workflowId }, input.args));
    return next(input);
  }
}

/** The activity interceptor factory of {@link SpcSpanAttributesInterceptor}. */
export const spcSpanAttributesInterceptors = (ctx: ActivityContext): ActivityInterceptors => ({ inbound: new SpcSpanAttributesInterceptor(ctx) });

/**
 * OpenTelemetry's workflow span sink with {@link spcSpanAttributes} added to the spans of our workflows. Done here,
 * outside the sandbox, rather than by a workflow interceptor: nothing more is evaluated per cached workflow, and
 * workflow code is untouched.
 */
export function labelWorkflowSpans(sink: InjectedSink<OpenTelemetryWorkflowExporter>): InjectedSink<OpenTelemetryWorkflowExporter> {
  return {
    export: {
      ...sink.export,
      fn: (info, spans) => {
        const attributes = spcSpanAttributes({ workflowType: info.workflowType, workflowId: info.workflowId }, []);
        return sink.export.fn(info, Object.keys(attributes).length === 0 ? spans : spans.map((span) => ({ ...span, attributes: { ...span.attributes, ...attributes } })));
      },
    },
  };
}
