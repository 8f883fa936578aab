/**
 * Counts every Batch REST request by operation and status (`spc_batch_requests`), as a request policy of the
 * Batch client: it sees each HTTP call the SDK makes, the shared task poller's included.
 */
import type { BatchServiceClient } from '@azure/batch';
import type { MetricMeter } from '@temporalio/common';

type ClientOptions = NonNullable<ConstructorParameters<typeof BatchServiceClient>[2]>;
type PolicyFactories = Exclude<NonNullable<ClientOptions['requestPolicyFactories']>, unknown[]>;
type Factory = Exclude<ReturnType<PolicyFactories>, void>[number];

/** Path segments that are actions, not ids (`POST /pools/{id}/resize`). */
const ACTIONS = new Set(['resize', 'stopresize', 'disable', 'enable', 'terminate', 'addtaskcollection', 'reactivate', 'updateproperties', 'evaluateautoscale', 'enableautoscale', 'disableautoscale', 'removenodes', 'lifetimetaskstatistics', 'lifetimejobstatistics', 'taskcounts', 'jobschedules', 'subtasksinfo', 'reboot', 'reimage']);

/** `GET /jobs/{id}/tasks`-style label of a request: ids replaced, so the label set stays small. */
export function batchOperationOf(method: string, url: string): string {
  const segments = new URL(url).pathname.split('/').filter(Boolean);
  const template = segments.map((s, i) => (i % 2 === 1 && !ACTIONS.has(s.toLowerCase()) ? '{id}' : s));
  // File paths (`/tasks/{id}/files/<path...>`) end in one {id} whatever their depth.
  const files = template.indexOf('files');
  const label = files >= 0 && template.length > files + 1 ? [...template.slice(0, files + 1), '{id}'] : template;
  return `${method.toUpperCase()} /${label.join('/')}`;
}

/**
 * Request policies for {@link BatchServiceClient}: the metrics policy in front of the SDK's defaults.
 * @param meter called at the first request (a worker's runtime exists by then; asking earlier would install a
 *   default runtime before the worker's own `Runtime.install`)
 */
export function batchMetricsPolicies(meter: () => MetricMeter): PolicyFactories {
  let counter: ReturnType<MetricMeter['createCounter']> | undefined;
  const requests = { add: (n: number, tags: Record<string, string>) => (counter ??= meter().createCounter('spc_batch_requests', '1', 'Batch REST requests by operation and HTTP status')).add(n, tags) };
  const factory: Factory = {
    create: (next) => ({
      async sendRequest(request) {
        const operation = batchOperationOf(request.method, request.url);
        try {
          const response = await next.sendRequest(request);
          requests.add(1, { operation, status: String(response.status) });
          return response;
        } catch (err) {
          const status = (err as { statusCode?: number }).statusCode;
          requests.add(1, { operation, status: status ? String(status) : 'network-error' });
          throw err;
        }
      },
    }),
  };
  return (defaults) => [factory, ...defaults];
}
