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
import type { ReplayWorkerOptions, WorkerOptions } from '@temporalio/worker';
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

export class SpcPlugin extends SimplePlugin {
  /** The activities and their shared resources (the Batch task poller). */
  readonly bundle: ActivityBundle;

  constructor(options: SpcPluginOptions = {}) {
    const bundle = createActivityBundle(options.config ?? loadConfig(), options.deps);
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

  /** As SimplePlugin, except that a prebuilt `workflowBundle` given by the user is kept (no workflowsPath then). */
  override configureWorker(options: WorkerOptions): WorkerOptions {
    const configured = super.configureWorker(options);
    return options.workflowBundle ? { ...configured, workflowsPath: undefined } : configured;
  }

  override configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    const configured = super.configureReplayWorker(options);
    return options.workflowBundle ? { ...configured, workflowsPath: undefined } : configured;
  }
}
