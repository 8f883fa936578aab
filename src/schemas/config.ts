import { z } from 'zod';

const hostPort = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7233');
const port = z.coerce.number().int('must be an integer').min(1, 'must be 1..65535').max(65535, 'must be 1..65535');
/** Milliseconds, kept as the string the environment holds (a config spreads back into a child's environment). */
const msSetting = z
  .string()
  .regex(/^\d+$/, 'must be a whole number of milliseconds')
  .refine((v) => Number(v) >= 1000 && Number(v) <= 7 * 86_400_000, 'must be between 1000 ms and 7 days (the longest SAS we grant)');
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, ".", "_" or "-"');

/**
 * The environment a worker or client reads, after defaults. Every field maps to one environment variable
 * of the same name; `loadConfig` fills in the embedded stack's addresses when a variable is unset.
 */
export const ConfigSchema = z.object({
  /** Temporal frontend, host:port. */
  SPC_TEMPORAL_ADDRESS: hostPort,
  SPC_TEMPORAL_NAMESPACE: name,
  SPC_TASK_QUEUE: name,
  /**
   * Storage connection string (Azurite or a real account): shared-key authentication. Secret: never logged.
   * Unset when the worker authenticates to Storage with Entra ID ({@link AZURE_STORAGE_ACCOUNT_URL}).
   */
  AZURE_STORAGE_CONNECTION_STRING: z
    .string()
    .min(1, 'must not be empty')
    .refine((s) => /AccountName=/.test(s) && /(AccountKey|SharedAccessSignature)=/.test(s), {
      message: 'must contain AccountName= and AccountKey= (or SharedAccessSignature=)',
    })
    .optional(),
  /**
   * Blob service URL of a storage account reached with an Entra ID token instead of a key, e.g.
   * https://<account>.blob.core.windows.net. https only: the Storage SDK refuses bearer tokens over http.
   */
  AZURE_STORAGE_ACCOUNT_URL: z.url({ protocol: /^https$/, error: 'must be an https URL, e.g. https://<account>.blob.core.windows.net (Storage refuses bearer tokens over http)' }).optional(),
  /** Batch account endpoint: https://<account>.<region>.batch.azure.com, or the local Batch service. */
  AZURE_BATCH_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  AZURE_BATCH_ACCOUNT: z.string().regex(/^[a-z0-9]{3,24}$/, 'must be 3-24 lowercase letters or digits'),
  /** Batch shared key, base64. Secret: never logged. Unset: the worker authenticates to Batch with Entra ID. */
  AZURE_BATCH_KEY: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be a base64 key').optional(),
  /**
   * OAuth scope of Batch tokens. The resource id is `https://batch.core.windows.net/` with its slash, so the scope
   * has two; a token for `https://batch.core.windows.net` (one slash) is refused by Batch as the wrong audience.
   * Other clouds have their own (e.g. `https://batch.core.usgovcloudapi.net//.default`).
   * @default https://batch.core.windows.net//.default
   */
  AZURE_BATCH_SCOPE: z.string().regex(/^https:\/\/\S+\/\.default$/, 'must be an https resource id followed by /.default, e.g. https://batch.core.windows.net//.default'),
  /**
   * `off` skips MSAL's instance discovery (a request to login.microsoftonline.com) for an authority host it cannot
   * validate: Azure Stack, a private cloud, the local stack's token issuer. @default on
   */
  SPC_ENTRA_INSTANCE_DISCOVERY: z.enum(['on', 'off'], { error: 'must be on or off' }),
  /**
   * ARM resource id of a user-assigned managed identity of the pool, used by tasks to upload their outputs
   * (`identityReference`), so no write SAS sits in task definitions. The identity needs "Storage Blob Data
   * Contributor" on the run's storage account and must be assigned to the pool (a pool created through ARM and
   * reused with `pool.id`). Unset: outputs upload through a short-lived write SAS.
   */
  SPC_POOL_OUTPUT_IDENTITY: z
    .string()
    .regex(
      /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i,
      'must be the resource id of a user-assigned identity: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>',
    )
    .optional(),
  /**
   * How long a task's SAS URLs stay valid beyond its wall clock, in ms: covers the short wait in the job's queue
   * (tasks are added as the pool has room), a Spot requeue and the final upload. @default 86400000 (1 day)
   */
  SPC_TASK_SAS_MARGIN_MS: msSetting,
  /**
   * Validity of the pool start task's SAS URLs, in ms. Workers watching the run re-sign them when half of it has
   * passed, so nodes added days later (scale-up, reboot, Spot replacement) still install. @default 604800000 (7 days)
   */
  SPC_START_TASK_SAS_MS: msSetting,
  /**
   * Worker environment variables a custom recipe may hand its tasks as secret settings (`recipe.secretEnvironment`),
   * comma-separated. Any other name is refused, so a run input cannot read the worker's keys. @default NOMIS_API_KEY
   */
  SPC_TASK_SECRETS: z.string().regex(/^([A-Z_][A-Z0-9_]*(,[A-Z_][A-Z0-9_]*)*)?$/, 'must be comma-separated variable names, e.g. NOMIS_API_KEY'),
  /**
   * Workflows a worker keeps in its cache (`maxCachedWorkflows`); 0 turns the cache off. Unset: the plugin's
   * default (`SPC_MAX_CACHED_WORKFLOWS` in src/plugin.ts, with the memory it costs).
   */
  SPC_MAX_CACHED_WORKFLOWS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of workflows')
    .refine((v) => Number(v) === 0 || (Number(v) >= 2 && Number(v) <= 100_000), 'must be 0 (no cache) or 2..100000')
    .optional(),
});
export type Config = z.infer<typeof ConfigSchema>;

/** Ports and folder of the embedded local stack. */
export const StackSettingsSchema = z.object({
  SPC_STACK_DIR: z.string().min(1, 'must not be empty'),
  /** Where the Temporal CLI is built once and reused; share it between clones to skip the build. */
  SPC_TOOLS_DIR: z.string().min(1, 'must not be empty'),
  SPC_TEMPORAL_PORT: port,
  SPC_TEMPORAL_UI_PORT: port,
  SPC_AZURITE_PORT: port,
  SPC_BATCH_PORT: port,
  /** `1` makes `stack up` also run the Entra services: the token issuer and an HTTPS Azurite with OAuth. @default 0 */
  SPC_STACK_ENTRA: z.enum(['0', '1'], { error: 'must be 0 or 1' }),
  /** The local token issuer (HTTPS, OpenID discovery + client-credentials token endpoint). */
  SPC_ENTRA_ISSUER_PORT: port,
  /** The second Azurite, HTTPS with `--oauth basic`, reached with tokens from the local issuer. */
  SPC_AZURITE_OAUTH_PORT: port,
});
export type StackSettings = z.infer<typeof StackSettingsSchema>;
