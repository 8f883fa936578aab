/**
 * SpcPlugin: adds spc-temporal to any Temporal worker in one line. It adds the activities of spcRun and ladRun
 * (Azure clients built from the worker's environment, zod-validated by loadConfig) to the worker's own, closes what
 * they hold when the worker stops, and registers our workflows only on a worker that has none of its own.
 *
 * @example
 * ```ts
 * // a worker for spc-temporal alone
 * const worker = await Worker.create({ connection, taskQueue: 'spc-run', plugins: [new SpcPlugin()] });
 * // a team's worker with workflows of its own: its workflows file adds `export * from 'spc-temporal/workflows';`
 * const shared = await Worker.create({ connection, taskQueue: 'team', workflowsPath: require.resolve('./workflows'), activities, plugins: [new SpcPlugin()] });
 * ```
 * @experimental Temporal plugins are experimental.
 */
import { SimplePlugin } from '@temporalio/plugin';
import { Runtime, Worker, type BundleOptions, type NativeConnection, type ReplayWorkerOptions, type WorkerOptions } from '@temporalio/worker';
import { bundleWorkflowsApart } from './bundle/apart';
import { createActivityBundle, type ActivityBundle, type ActivityDeps } from './activities';
import { loadConfig } from './config';
import type { Config } from './schemas/config';
import type { SpcTracing } from './tracing/types';

export interface SpcPluginOptions {
  /** @default loadConfig(process.env) */
  config?: Readonly<Config>;
  /** Clients to use instead of building them from the config (embedding, tests). */
  deps?: Partial<ActivityDeps>;
  /**
   * OpenTelemetry tracing of our workflows and activities (`createSpcTracing` from `spc-temporal/tracing`): its
   * interceptors and workflow span sink are added to the worker's own. Unset: no tracing, and nothing of
   * OpenTelemetry is loaded.
   * @default undefined
   */
  tracing?: SpcTracing;
}

/** Path of the workflows module (for bundling once and handing the worker a `workflowBundle`). */
export const SPC_WORKFLOWS_PATH = require.resolve('./workflows');

/** Default concurrent activities per worker (awaiting activities are cheap: they share one poller). */
export const SPC_MAX_CONCURRENT_ACTIVITIES = 2000;

/**
 * Default size of the workflow cache: fewer than the 1,000 LADs a run keeps in flight (`maxConcurrentLads`' default),
 * on purpose. A LAD needs its slot only for its few workflow tasks; between them it waits on its Batch task for
 * minutes to hours, and a LAD evicted meanwhile replays its ten-odd events when the task ends. The cache is LRU, so
 * the parents, whose tasks come every few seconds, stay in it. Measured with `npm run bench:run -- --lads 1000
 * --nodes 10 --recipe sleep` (all 1,000 in flight at the start): peak worker RSS 534 MiB with 400 (655 MiB with
 * 1,200), the same makespan (235.6 s, 235.4 s) and worker CPU (85.2 s, 86.5 s). A cached workflow costs 233-297 KiB
 * of RSS and 82 KiB of V8 heap (scripts/probe-workflow-memory.ts). Much smaller is not wise: a 40-entry cache once
 * crashed a 1,000-LAD worker ("async hook stack has become corrupted" in a workflow thread).
 */
export const SPC_MAX_CACHED_WORKFLOWS = 400;

export class SpcPlugin extends SimplePlugin {
  /** The activities and their shared resources (the Batch task poller). */
  readonly bundle: ActivityBundle;

  /** Workflows the worker caches unless its options say otherwise. */
  readonly maxCachedWorkflows: number;

  private readonly tracing: SpcTracing | undefined;

  constructor(options: SpcPluginOptions = {}) {
    const config = options.config ?? loadConfig();
    const bundle = createActivityBundle(config, options.deps, () => Runtime.instance().metricMeter);
    super({
      name: 'spc-temporal',
      activities: bundle.activities,
      runContext: async (next) => {
        try {
          await next();
        } finally {
          bundle.close();
        }
      },
    });
    this.bundle = bundle;
    this.tracing = options.tracing;
    this.maxCachedWorkflows = config.SPC_MAX_CACHED_WORKFLOWS === undefined ? SPC_MAX_CACHED_WORKFLOWS : Number(config.SPC_MAX_CACHED_WORKFLOWS);
  }

  /**
   * As SimplePlugin (our activities appended to the worker's), plus:
   * - Workflows: a worker given its own `workflowsPath` or `workflowBundle` keeps it (that module re-exports
   *   `spc-temporal/workflows`); only a worker with neither gets ours. SimplePlugin would replace theirs.
   * - An activity name the worker already has is refused rather than silently replaced by ours.
   * - One default the user can override: every LAD holds one awaiting activity while its task queues and runs; these
   *   only wait on the shared poller, so allow 2000 at once (`maxConcurrentActivityTaskExecutions`; the SDK default
   *   of 100 would leave LADs past the 100th unsubmitted).
   * - The workflow cache: `maxCachedWorkflows` {@link SPC_MAX_CACHED_WORKFLOWS} (or the config's
   *   `SPC_MAX_CACHED_WORKFLOWS`) unless the worker sets it.
   *   `maxConcurrentWorkflowTaskExecutions` keeps the SDK's 40: a task's memory is gone when it ends.
   * - Tracing, when given: last, once the workflows path is settled, because OpenTelemetry's workflow interceptor
   *   module only goes onto a worker that bundles its own workflows (a prebuilt bundle must be built with it:
   *   `bundleWorkflowCode({ workflowsPath, plugins: [plugin] })`).
   */
  override configureWorker(options: WorkerOptions): WorkerOptions {
    refuseActivityClash(options.activities, this.bundle.activities);
    const configured: WorkerOptions = {
      ...super.configureWorker(options),
      ...(!hasOwnWorkflows(options) && { workflowsPath: SPC_WORKFLOWS_PATH }),
      ...(!options.tuner && { maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? SPC_MAX_CONCURRENT_ACTIVITIES }),
      maxCachedWorkflows: options.maxCachedWorkflows ?? this.maxCachedWorkflows,
    };
    return this.tracing ? this.tracing.configureWorker(configured) : configured;
  }

  override configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    const configured = super.configureReplayWorker(options);
    const withWorkflows = hasOwnWorkflows(options) ? configured : { ...configured, workflowsPath: SPC_WORKFLOWS_PATH };
    return this.tracing ? this.tracing.configureReplayWorker(withWorkflows) : withWorkflows;
  }

  override configureBundler(options: BundleOptions): BundleOptions {
    const configured = super.configureBundler(options);
    return this.tracing ? this.tracing.configureBundler(configured) : configured;
  }
}

function hasOwnWorkflows(options: Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle'>): boolean {
  return options.workflowsPath !== undefined || options.workflowBundle !== undefined;
}

/** Throws a TypeError naming every activity the worker registers under a name spc-temporal also uses. */
function refuseActivityClash(own: object | undefined, ours: object): void {
  if (!own) return;
  const clashes = Object.keys(ours).filter((name) => Object.hasOwn(own, name) && (own as Record<string, unknown>)[name] !== (ours as Record<string, unknown>)[name]);
  if (clashes.length > 0) {
    throw new TypeError(`SpcPlugin: activities ${clashes.map((n) => `"${n}"`).join(', ')} are already registered on this worker; rename yours (spc-temporal needs these names)`);
  }
}

/**
 * A worker on the configured namespace and task queue with the SpcPlugin (what `npm run worker` and `npm start` run).
 * Unless the options bring workflows of their own or tracing is on (its interceptor module goes into the bundle
 * through the plugin), the workflow bundle is made in a child process: webpack's memory never joins the worker's.
 * @param plugin the plugin's options besides the config, e.g. `{ tracing }`
 */
export async function createSpcWorker(
  connection: NativeConnection,
  config: Readonly<Config>,
  options: Partial<Omit<WorkerOptions, 'connection' | 'taskQueue'>> = {},
  plugin: Omit<SpcPluginOptions, 'config'> = {},
): Promise<Worker> {
  const bundleApart = !hasOwnWorkflows(options) && !plugin.tracing;
  return Worker.create({
    ...options,
    ...(bundleApart && { workflowBundle: { code: await bundleWorkflowsApart(SPC_WORKFLOWS_PATH) } }),
    connection,
    namespace: config.SPC_TEMPORAL_NAMESPACE,
    taskQueue: config.SPC_TASK_QUEUE,
    plugins: [new SpcPlugin({ ...plugin, config })],
  });
}
