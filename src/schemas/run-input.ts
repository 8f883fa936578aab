import { z } from 'zod';
import { formatIssues } from './issues';
import { CONTAINER_NAME_REGEX, ENV_NAME_REGEX, LAD_CODE_REGEX, MAX_RUN_ID_LENGTH, RELATIVE_PATH_REGEX, RELATIVE_PATH_RULE, RUN_ID_REGEX, RUN_ID_RULE } from './patterns';
import { maxTaskSlotsOf, VM_SIZE_REGEX } from './vm-sizes';

export { LAD_CODE_REGEX, MAX_RUN_ID_LENGTH };
export const LadCodeSchema = z.string().regex(LAD_CODE_REGEX, { error: (i) => `${JSON.stringify(i.input)} must match ${String(LAD_CODE_REGEX)}` });

/** Ids we derive Batch and Storage names from: letters, digits, `-`, `_`; short enough for Batch's 64-char limit. */
export const RunIdSchema = z.string().regex(RUN_ID_REGEX, RUN_ID_RULE);

/** A blob in the configured storage account. */
export const BlobRefSchema = z.strictObject({
  container: z.string().regex(CONTAINER_NAME_REGEX, 'must be a valid container name'),
  blob: z.string().min(1, 'must not be empty').max(1024),
});
export type BlobRef = z.infer<typeof BlobRefSchema>;

/** Options of the offline `spenser-sim` recipe (all optional; see src/recipes/spenser-sim). */
export const SimOptionsSchema = z.strictObject({
  /** Wall-clock time each simulated LAD takes, in milliseconds. @default 2000 */
  durationMs: z.number().int().min(0).max(3_600_000).default(2000),
  /** Row-count scale of the files written. @default 0.05 */
  scale: z.number().positive().max(10).default(0.05),
  /** Probability that an attempt fails at random. @default 0 */
  failProbability: z.number().min(0).max(1).default(0),
  /** Per LAD: the first N attempts fail (deterministic failures for tests). */
  failAttempts: z.record(LadCodeSchema, z.number().int().min(0).max(1000)).default({}),
  /**
   * Spread of LAD durations, like the real pipeline's small districts and big cities: each LAD takes `durationMs`
   * times a factor from 1 to `durationSpread`, fixed by its code (src/recipes/duration-spread.ts). @default 1
   */
  durationSpread: z.number().min(1).max(100).optional(),
});

/** An input file of a custom recipe: a blob copied into the task's working directory. */
export const InputFileSchema = z.strictObject({
  source: BlobRefSchema,
  /** Path relative to the task working directory; no `..`. */
  filePath: z.string().regex(RELATIVE_PATH_REGEX, RELATIVE_PATH_RULE),
});
export type InputFile = z.infer<typeof InputFileSchema>;

/** The scenario configs of the `spenser` recipe, by name without `.json` (recipes/spenser/config/ holds the defaults). */
export const SPENSER_CONFIG_NAMES = ['ssm_current', 'ssm_h_current', 'ass_current_2012', 'ass_current_2020', 'ass_current_2022', 'ass_current_2032', 'ass_current_2039'] as const;
export type SpenserConfigName = (typeof SPENSER_CONFIG_NAMES)[number];

/** Options of the production `spenser` recipe (all optional; absent, the recipe's shipped defaults apply). */
export const SpenserOptionsSchema = z.strictObject({
  /** Blobs replacing some of the shipped scenario configs, e.g. `{"ssm_current": {container, blob}}`. */
  configs: z.strictObject(Object.fromEntries(SPENSER_CONFIG_NAMES.map((n) => [n, BlobRefSchema.optional()])) as Record<SpenserConfigName, z.ZodOptional<typeof BlobRefSchema>>).optional(),
  /**
   * A copy of NRS's `Output Area blk.zip` (Scotland's 2011 census tables by Output Area): every node unpacks it once
   * into household_microsynth's cache, as today's pipeline does, instead of each task downloading it.
   */
  scotlandOutputAreaZip: BlobRefSchema.optional(),
});

/** Most runs `durationsFrom` may name (each is a manifest read). */
export const MAX_DURATION_SOURCES = 5;

/** Which recipe runs per LAD. */
export const RecipeSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('spenser-sim'), options: SimOptionsSchema.prefault({}) }),
  z.strictObject({ name: z.literal('spenser'), options: SpenserOptionsSchema.optional() }),
  z.strictObject({
    name: z.literal('custom'),
    /** Command run by bash in the task's working directory; `{lad}` is replaced by the (validated) LAD code. */
    command: z.string().min(1).max(8000),
    inputFiles: z.array(InputFileSchema).max(100).default([]),
    /** Output files, relative to the working directory. @default "output/*.csv" */
    outputPattern: z.string().min(1).default('output/*.csv'),
    /** Optional pool start task command (bash). */
    startCommand: z.string().min(1).max(8000).optional(),
    /** Blobs copied into the start task's working directory on every node (its SAS URLs are kept fresh). @default [] */
    startInputFiles: z.array(InputFileSchema).max(100).default([]),
    /**
     * Worker environment variables handed to each task as secret settings (e.g. `["NOMIS_API_KEY"]`); only names the
     * worker allows (`SPC_TASK_SECRETS`) are accepted, checked before the run creates anything. @default []
     */
    secretEnvironment: z.array(z.string().regex(ENV_NAME_REGEX, 'must be an environment variable name')).max(20).default([]),
  }),
], { error: (i) => (i.code === 'invalid_union' ? 'must name a known recipe: "spenser-sim", "spenser" or "custom"' : undefined) });
export type Recipe = z.infer<typeof RecipeSchema>;

export { VM_SIZE_REGEX };
const VmSizeSchema = z.string().regex(VM_SIZE_REGEX, 'must be an Azure VM size such as "Standard_D2s_v3"');
const DEFAULT_VM_SIZE = 'standard_d2s_v3';

export const PoolSpecSchema = z
  .strictObject({
    /** An existing pool's id to reuse, or "create" for a pool named after the run. @default "create" */
    id: z.union([z.literal('create'), RunIdSchema]).default('create'),
    /** The pool's VM size (the single form of `vmSizes`). @default "standard_d2s_v3" */
    vmSize: VmSizeSchema.optional(),
    /**
     * VM sizes to try in order: when the pool gets no node for lack of capacity or core quota, a pool the run created
     * is made again with the next size (recorded in the audit trail). With `vmSize` too, `vmSize` must be the first.
     */
    vmSizes: z.array(VmSizeSchema).min(1, 'must not be empty').max(10).optional(),
    dedicatedNodes: z.number().int().min(0, 'must be >= 0').max(1000).default(2),
    /** Spot nodes (Azure's successor of low-priority nodes; Batch's API still calls them low-priority). @default 0 */
    spotNodes: z.number().int().min(0, 'must be >= 0').max(1000).optional(),
    /** The old name of `spotNodes`, still accepted. @default 0 */
    lowPriorityNodes: z.number().int().min(0, 'must be >= 0').max(1000).optional(),
    taskSlotsPerNode: z.number().int().min(1).max(256).default(1),
  })
  .refine((p) => p.spotNodes === undefined || p.lowPriorityNodes === undefined, { message: 'give spotNodes or its old name lowPriorityNodes, not both', path: ['spotNodes'] })
  .refine((p) => !p.vmSize || !p.vmSizes || p.vmSizes[0].toLowerCase() === p.vmSize.toLowerCase(), {
    error: (i) => `must start with pool.vmSize ${JSON.stringify((i.input as { vmSize: string }).vmSize)} when both are given (or give only one)`,
    path: ['vmSizes'],
  })
  .refine((p) => new Set((p.vmSizes ?? []).map((v) => v.toLowerCase())).size === (p.vmSizes ?? []).length, { message: 'must not repeat a VM size', path: ['vmSizes'] })
  .superRefine((p, ctx) => {
    // Every size of the list must take the pool's task slots (Batch: at most 4 per vCPU), or a fallback would fail.
    for (const vmSize of p.vmSizes ?? [p.vmSize ?? DEFAULT_VM_SIZE]) {
      if (p.taskSlotsPerNode > maxTaskSlotsOf(vmSize)) {
        ctx.addIssue({ code: 'custom', path: ['taskSlotsPerNode'], message: `${p.taskSlotsPerNode} does not fit ${vmSize} (at most ${maxTaskSlotsOf(vmSize)}: 4 per vCPU)` });
      }
    }
  })
  .transform(({ spotNodes, lowPriorityNodes, vmSize, vmSizes, ...p }) => {
    const sizes = vmSizes ?? [vmSize ?? DEFAULT_VM_SIZE];
    return { ...p, vmSize: sizes[0], vmSizes: sizes, lowPriorityNodes: spotNodes ?? lowPriorityNodes ?? 0 };
  })
  .refine((p) => p.dedicatedNodes + p.lowPriorityNodes > 0, { message: 'needs at least one node', path: ['dedicatedNodes'] });
export type PoolSpec = z.infer<typeof PoolSpecSchema>;

export const RetrySchema = z.strictObject({
  /** Attempts per LAD, the first included. @default 3 */
  maxAttempts: z.number().int().min(1).max(100).default(3),
  /** Delay before the second attempt, in milliseconds. @default 30000 */
  backoffMs: z.number().int().min(0).max(86_400_000).default(30_000),
  /** Multiplier per further attempt. @default 2 */
  backoffCoefficient: z.number().min(1).max(10).default(2),
});

export const TimeoutsSchema = z.strictObject({
  /** Wall clock per Batch task, in milliseconds (Batch kills it after). @default 6 hours */
  taskMs: z.number().int().min(1000).default(6 * 3_600_000),
  /** The whole run, in milliseconds; past it the run stops like a cancel and ends `failed`. @default 7 days */
  runMs: z.number().int().min(1000).default(7 * 86_400_000),
  /** Heartbeat timeout of the awaiting activity: how fast a dead worker is noticed. @default 30000 */
  heartbeatMs: z.number().int().min(1000).max(600_000).default(30_000),
  /** Wait before trying again when the Batch account's active-job quota is full (until the run timeout). @default 60000 */
  quotaRetryMs: z.number().int().min(1000).max(3_600_000).default(60_000),
});

/** What a run deletes when it ends: the job, the pool if the run created it (a reused pool is never deleted), the container. */
const cleanupTargets = z
  .union([z.literal('nothing'), z.array(z.enum(['job', 'pool', 'container']))])
  .transform((v) => (v === 'nothing' ? [] : [...new Set(v)]));
export const CleanupSchema = z.strictObject({
  /** What to delete when every LAD succeeded. @default ["job", "pool"] */
  onSuccess: cleanupTargets.default(['job', 'pool']),
  /** What to delete otherwise (failures, cancel, timeout, terminate). @default ["job", "pool"] */
  onFailure: cleanupTargets.default(['job', 'pool']),
});

export const FailureThresholdSchema = z
  .strictObject({ count: z.number().int().min(0).optional(), percent: z.number().min(0).max(100).optional() })
  .refine((t) => t.count !== undefined || t.percent !== undefined, { message: 'give count or percent' });

export const OutputsSchema = z.strictObject({
  /** Expected file names per LAD ("{lad}" is replaced), or "contract" for the 69 files of the output contract. */
  expectedFiles: z.union([z.literal('contract'), z.array(z.string().min(1)).min(1)]).default('contract'),
});

/** How a run's cost is estimated (node time of its pool, priced per VM size and priority). */
export const CostSchema = z.strictObject({
  /**
   * A rates file (path on the worker, or an http(s) URL) in the shape of data/rates/*.json.
   * @default the shipped data/rates/azure-uksouth-linux.json
   */
  ratesFile: z.string().min(1).max(2048).optional(),
});

/** The run's watch on its pool (one pool read per `pollMs`): node time for the cost, nodes for capacity. */
export const PoolWatchSchema = z.strictObject({
  /** How often the pool is read, in milliseconds. @default 15000 */
  pollMs: z.number().int().min(200).max(600_000).default(15_000),
  /** How often the run takes in what the watch measured (a few history events each time), in milliseconds. @default 300000 */
  reportMs: z.number().int().min(500).max(3_600_000).default(300_000),
  /** How long the pool may have no node while it asks for some before the run says why, in milliseconds. @default 15 min */
  zeroNodesMs: z.number().int().min(500).max(86_400_000).default(15 * 60_000),
});

/** Set by `spc redrive`: this run re-runs some LADs of a finished run, into that run's container. */
export const RedriveSchema = z.strictObject({
  /** The original run's id. */
  of: RunIdSchema,
  /** The original run's container (its outputs and manifest.json, updated per LAD by this run). */
  container: z.string().regex(CONTAINER_NAME_REGEX, 'must be a valid container name'),
  /** Per LAD, the attempt number to start at (after the original's attempts, so task ids and records never collide). */
  firstAttempts: z.record(LadCodeSchema, z.number().int().min(1)).default({}),
});
export type Redrive = z.infer<typeof RedriveSchema>;

/**
 * The input of `spcRun`: plain JSON with defaults for everything but the LADs, e.g.
 * `temporal workflow start --type spcRun --task-queue spc-run --input '{"lads":["E06000001"]}'`.
 */
export const RunInputSchema = z
  .object({
    /** @default the workflow id */
    runId: RunIdSchema.optional(),
    lads: z
      .array(LadCodeSchema)
      .min(1, 'must not be empty')
      .max(20_000)
      .refine((l) => new Set(l).size === l.length, { error: (i) => `must not repeat a LAD (${duplicates(i.input as string[]).join(', ')})` })
      .optional(),
    /** A CSV blob with a `LAD20CD` or `LAD code` column, read by an activity. */
    ladsCsvBlob: BlobRefSchema.optional(),
    recipe: RecipeSchema.default({ name: 'spenser-sim', options: SimOptionsSchema.parse({}) }),
    pool: PoolSpecSchema.prefault({}),
    retry: RetrySchema.prefault({}),
    timeouts: TimeoutsSchema.prefault({}),
    cleanup: CleanupSchema.prefault({}),
    failureThreshold: FailureThresholdSchema.optional(),
    /** Cost estimate settings. */
    cost: CostSchema.prefault({}),
    poolWatch: PoolWatchSchema.prefault({}),
    /**
     * Most the run may cost, in the rates file's currency: past it the run stops like the failure threshold (queued
     * LADs cancelled, ends `failed` with the reason). Every VM size of the pool must then have a rate.
     */
    budget: z.number().positive('must be > 0').optional(),
    outputs: OutputsSchema.prefault({}),
    /** How often the worker lists the job's tasks, in milliseconds. @default 1000 */
    pollIntervalMs: z.number().int().min(100).max(60_000).default(1000),
    /** Children in flight at once (Temporal allows 2,000 pending children). @default 1000 */
    maxConcurrentLads: z.number().int().min(1).max(1900).default(1000),
    /** The parent continues as new (after draining) past this many history events. @default 20000 */
    continueAsNewAfterEvents: z.number().int().min(200).max(40_000).default(20_000),
    /** Finalize also merges 2011-based LADs into their 2020 LADs (`merged2020/<LAD>/`) and checks the 2020 list. @default false */
    merge2020: z.boolean().default(false),
    /** Re-run LADs of a finished run (set by `spc redrive`). */
    redrive: RedriveSchema.optional(),
    /**
     * The order LADs start in: `longest-first` (the longest expected first, when expected durations exist; else
     * input order) or `input`. @default "longest-first"
     */
    order: z.enum(['input', 'longest-first'], { error: 'must be "input" or "longest-first"' }).optional(),
    /**
     * Runs whose manifests give the expected durations (most recent first); without it, the schedule's last two runs.
     */
    durationsFrom: z.array(RunIdSchema).min(1, 'must not be empty').max(MAX_DURATION_SOURCES, `must name at most ${MAX_DURATION_SOURCES} runs`).optional(),
    /**
     * Priority of the run on a shared Batch account and Temporal task queue, -1000 (lowest) to 1000 (highest): the
     * Batch job's priority, and Temporal's priority key of its workflows and activities. @default 0
     */
    priority: z.number().int('must be an integer').min(-1000, 'must be >= -1000').max(1000, 'must be <= 1000').optional(),
  })
  .strict()
  .refine((i) => (i.lads === undefined) !== (i.ladsCsvBlob === undefined), {
    message: 'give exactly one of lads or ladsCsvBlob',
    path: ['lads'],
  })
  // The awaiting activity heartbeats on its own clock, but a poll slower than the heartbeat timeout means a task's
  // progress is never seen in time to be worth heartbeating about.
  .refine((i) => i.pollIntervalMs < i.timeouts.heartbeatMs, {
    error: (issue) => {
      const i = issue.input as { pollIntervalMs: number; timeouts: { heartbeatMs: number } };
      return `must be below timeouts.heartbeatMs (${i.pollIntervalMs} >= ${i.timeouts.heartbeatMs})`;
    },
    path: ['pollIntervalMs'],
  });
export type RunInput = z.infer<typeof RunInputSchema>;
export type RawRunInput = z.input<typeof RunInputSchema>;

/** The normalised input a run works with: defaults filled, run id fixed. */
export type NormalisedRunInput = RunInput & { runId: string };

function duplicates(list: string[]): string[] {
  const seen = new Set<string>();
  return [...new Set(list.filter((x) => (seen.has(x) ? true : (seen.add(x), false))))];
}

/** Derives a run id from a workflow id: Batch/Storage-safe characters, at most {@link MAX_RUN_ID_LENGTH}. */
export function runIdFromWorkflowId(workflowId: string): string {
  const cleaned = workflowId.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[-_]+/, '') || 'run';
  if (cleaned.length <= MAX_RUN_ID_LENGTH) return cleaned;
  // Truncating alone could give two runs of one schedule the same id (and container and job):
  // keep a readable prefix and add a hash of the whole workflow id.
  return `${cleaned.slice(0, MAX_RUN_ID_LENGTH - 9)}-${fnv1a(workflowId)}`;
}

/** 32-bit FNV-1a of a string as 8 hex digits: deterministic and pure, so workflow code may use it. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** Result of {@link parseRunInput}: the input, or one readable line per bad field. */
export type ParsedRunInput = { ok: true; input: NormalisedRunInput } | { ok: false; message: string };

/**
 * Validates a raw run input and fills in defaults; the run id defaults to one derived from the workflow id.
 * Unknown keys anywhere are refused, unless `dropUnknownKeys` (a run started before 0.2, when nested unknown keys
 * were silently dropped, must go on parsing as it did).
 * @returns `{ ok: false, message }` naming every bad field (never throws), so workflows can fail non-retryably.
 */
export function parseRunInput(raw: unknown, workflowId: string, options: { dropUnknownKeys?: boolean } = {}): ParsedRunInput {
  let value: unknown = raw ?? {};
  let result = RunInputSchema.safeParse(value);
  // Each pass drops the unknown keys zod reported (nested ones surface once their parent parses).
  for (let pass = 0; pass < 8 && options.dropUnknownKeys && !result.success && result.error.issues.every((i) => i.code === 'unrecognized_keys'); pass++) {
    value = withoutKeys(value, result.error.issues as { path: PropertyKey[]; keys: string[] }[]);
    result = RunInputSchema.safeParse(value);
  }
  if (!result.success) return { ok: false, message: `invalid run input: ${formatIssues(result.error).split('\n').join('; ')}` };
  return { ok: true, input: { ...result.data, runId: result.data.runId ?? runIdFromWorkflowId(workflowId) } };
}

/** A deep copy of `value` without the keys named at each path. */
function withoutKeys(value: unknown, drops: { path: PropertyKey[]; keys: string[] }[]): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  for (const { path, keys } of drops) {
    const target = path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key], copy) as Record<string, unknown> | undefined;
    for (const key of keys) if (target) delete target[key];
  }
  return copy;
}
