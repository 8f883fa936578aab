/**
 * How workers and clients reach Temporal: the same settings the `temporal` CLI and every SDK read, through
 * `@temporalio/envconfig` (a pure reader of temporal.toml and the environment; it opens no connection):
 * - a profile of temporal.toml (`TEMPORAL_CONFIG_FILE`, default `~/.config/temporalio/temporal.toml`; profile
 *   `TEMPORAL_PROFILE`, default `default`), then
 * - `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS`, `TEMPORAL_TLS_*`,
 *   `TEMPORAL_GRPC_META_*` over it, then
 * - the embedded local stack (`127.0.0.1:$SPC_TEMPORAL_PORT`, namespace `default`, plaintext) for what is still unset.
 * `SPC_TEMPORAL_ADDRESS` and `SPC_TEMPORAL_NAMESPACE` are kept as aliases of the standard two; set to different values
 * than them, they are refused.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { TLSConfig } from '@temporalio/client';
import { loadClientConfig, loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';

/** Our variable names that stand for the standard ones. */
export const TEMPORAL_ALIASES = { SPC_TEMPORAL_ADDRESS: 'TEMPORAL_ADDRESS', SPC_TEMPORAL_NAMESPACE: 'TEMPORAL_NAMESPACE' } as const;

/** What `Connection.connect` and `NativeConnection.connect` take. Holds the API key: never log it. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
}

/** The resolved connection, with what `spc doctor` reports about it (no secrets outside `connectionOptions`). */
export interface TemporalConnection {
  address: string;
  namespace: string;
  /** The temporal.toml profile applied, or undefined when the file has none of that name (or there is no file). */
  profile: string | undefined;
  /** The temporal.toml looked at (it may not exist). */
  configFile: string | undefined;
  /** Whether the connection uses TLS (also implied by an API key). */
  tls: boolean;
  /** Whether a client certificate is presented (mTLS). */
  clientCertificate: boolean;
  apiKey: boolean;
  connectionOptions: TemporalConnectionOptions;
}

/**
 * Resolves the Temporal connection from `env` (see the module comment for the order).
 * @param localAddress the embedded stack's frontend, used when nothing else names one
 * @throws RangeError naming the variable, e.g. an alias that disagrees or a profile that does not exist
 */
export function loadTemporalConnection(env: NodeJS.ProcessEnv, localAddress: string): TemporalConnection {
  const standard = withAliases(env);
  const configFile = standard.TEMPORAL_CONFIG_FILE ?? defaultConfigFile(standard);
  const profileName = standard.TEMPORAL_PROFILE ?? 'default';
  let profiles: Record<string, unknown>;
  let loaded: ReturnType<typeof loadClientConfigProfile>;
  try {
    profiles = loadClientConfig({ overrideEnvVars: standard }).profiles;
    loaded = loadClientConfigProfile({ overrideEnvVars: standard });
  } catch (err) {
    // envconfig 1.24 throws a TypeError on a file without any [profile.*] table (e.g. empty): that is no profiles.
    const noProfiles = err instanceof TypeError;
    if (noProfiles && standard.TEMPORAL_PROFILE === undefined) {
      profiles = {};
      loaded = loadClientConfigProfile({ overrideEnvVars: standard, disableFile: true });
    } else {
      const field = noProfiles || /Profile '/.test((err as Error).message) ? 'TEMPORAL_PROFILE' : 'TEMPORAL_CONFIG_FILE';
      const message = noProfiles ? `Profile '${profileName}' not found in config data` : (err as Error).message;
      throw new RangeError(`invalid configuration:\n  ${field}: ${message} (${configFile ?? 'no config file'})`, { cause: err });
    }
  }
  const { connectionOptions, namespace } = toClientOptions(loaded);
  const address = connectionOptions.address ?? localAddress;
  const tls = connectionOptions.tls ?? undefined;
  return {
    address,
    namespace: namespace ?? 'default',
    profile: profileName in profiles ? profileName : undefined,
    configFile,
    tls: tls !== undefined && tls !== false,
    clientCertificate: typeof tls === 'object' && tls.clientCertPair !== undefined,
    apiKey: connectionOptions.apiKey !== undefined,
    connectionOptions: {
      address,
      ...(tls !== undefined && { tls }),
      ...(typeof connectionOptions.apiKey === 'string' && { apiKey: connectionOptions.apiKey }),
      ...(loaded.grpcMeta && { metadata: loaded.grpcMeta }),
    },
  };
}

/** The environment as envconfig reads it: strings only, our aliases folded into the standard names. */
function withAliases(env: NodeJS.ProcessEnv): Record<string, string> {
  const standard = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  for (const [alias, name] of Object.entries(TEMPORAL_ALIASES)) {
    const value = standard[alias];
    if (value === undefined) continue;
    if (standard[name] !== undefined && standard[name] !== value) {
      throw new RangeError(`invalid configuration:\n  ${alias}: "${value}" disagrees with ${name} "${standard[name]}" (it is an alias: set one of them)`);
    }
    standard[name] = value;
  }
  return standard;
}

/** envconfig's default location on Linux and macOS (shown by `spc doctor`; envconfig itself does the reading). */
function defaultConfigFile(env: Record<string, string>): string | undefined {
  const home = env.HOME;
  if (os.platform() === 'darwin') return home ? path.join(home, 'Library', 'Application Support', 'temporalio', 'temporal.toml') : undefined;
  const base = env.XDG_CONFIG_HOME ?? (home ? path.join(home, '.config') : undefined);
  return base ? path.join(base, 'temporalio', 'temporal.toml') : undefined;
}
