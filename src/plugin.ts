/**
 * SpcPlugin: adds spc-temporal to any Temporal worker in one line. It registers the spcRun and ladRun workflows
 * and their activities (Azure clients built from the worker's environment, zod-validated by loadConfig), and
 * closes what the activities hold when the worker stops.
 *
 * @example
 * ```ts
 * const worker = await Worker.create({ connection, taskQueue: 'spc-run', plugins: [new SpcPlugin()] });
 * await worker.run();
 * ```
 * @experimental Temporal plugins are experimental.
 */
import { SimplePlugin } from '@temporalio/plugin';
import { Runtime, type ReplayWorkerOptions, type WorkerOptions } from '@temporalio/worker';
import { createActivityBundle, type ActivityBundle, type ActivityDeps } from './activities';
import { loadConfig } from './config';
import type { Config } from './schemas/config';

export interface SpcPluginOptions {
  /** @default loadConfig(process.env) */
  config?: Readonly<Config>;
  /** Clients to use instead of building them from the config (embedding, tests). */
  deps?: Partial<ActivityDeps>;
}

/** Path of the workflows module (for bundling once and handing the worker a `workflowBundle`). */
export const SPC_WORKFLOWS_PATH = require.resolve('./workflows');

/** Default concurrent activities per worker (awaiting activities are cheap: they share one poller). */
export const SPC_MAX_CONCURRENT_ACTIVITIES = 2000;
/** Default workflow cache size per worker. */
export const SPC_MAX_CACHED_WORKFLOWS = 40;

export class SpcPlugin extends SimplePlugin {
  /** The activities and their shared resources (the Batch task poller). */
  readonly bundle: ActivityBundle;

  constructor(options: SpcPluginOptions = {}) {
    const bundle = createActivityBundle(options.config ?? loadConfig(), options.deps, () => Runtime.instance().metricMeter);
    super({
      name: 'spc-temporal',
      activities: bundle.activities,
      workflowsPath: SPC_WORKFLOWS_PATH,
      runContext: async (next) => {
        try {
          await next();
        } finally {
          bundle.close();
        }
      },
    });
    this.bundle = bundle;
  }

  /**
   * As SimplePlugin, plus two defaults the user can override. Every LAD holds one awaiting activity while its task
   * queues and runs; these only wait on the shared poller, so allow 2000 at once (`maxConcurrentActivityTaskExecutions`,
   * SDK default 100: LADs past the 100th would not even be submitted). Keep at most 40 workflows cached: measured
   * here, a cached workflow costs ~4-5 MB in the workflow threads (1,000 cached would need 4+ GB), while a worker
   * holding 1,000 awaiting LADs with 10 cached stayed at 450-540 MB RSS; an evicted ladRun replays ~10 events when
   * its activity completes. A prebuilt `workflowBundle` given by the user is kept (no workflowsPath then).
   */
  override configureWorker(options: WorkerOptions): WorkerOptions {
    const configured = super.configureWorker(options);
    return {
      ...configured,
      ...(options.workflowBundle && { workflowsPath: undefined }),
      ...(!options.tuner && { maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? SPC_MAX_CONCURRENT_ACTIVITIES }),
      maxCachedWorkflows: options.maxCachedWorkflows ?? SPC_MAX_CACHED_WORKFLOWS,
    };
  }

  override configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    const configured = super.configureReplayWorker(options);
    return options.workflowBundle ? { ...configured, workflowsPath: undefined } : configured;
  }
}
