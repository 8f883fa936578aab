import type { Client } from '@temporalio/client';
import { connectClient } from '../client';
import { loadConfig } from '../config';
import type { Config } from '../schemas/config';

/**
 * Exit codes scripts can rely on. A run that ended badly is not a CLI error: it has its own codes, so
 * `spc run ... && next-step` only continues after a fully successful run.
 */
export const ExitCode = {
  ok: 0,
  error: 1,
  /** Bad arguments or invalid run input; nothing was started. */
  usage: 2,
  /** The run ended failed or cancelled. */
  runFailed: 3,
  /** The run completed, but some LADs failed. */
  runCompletedWithFailures: 4,
  /** No such run or schedule. */
  notFound: 5,
  /** A service (Temporal, Batch, Storage) could not be reached. */
  unreachable: 6,
} as const;

/** An error the user can act on: printed as its message alone, exiting with `exitCode`. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.error,
  ) {
    super(message);
  }
}

/** Loads the config and a connected client for one command, closing the connection afterwards. */
export async function withClient<T>(fn: (client: Client, config: Readonly<Config>) => Promise<T>): Promise<T> {
  let config: Readonly<Config>;
  try {
    config = loadConfig();
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.usage);
  }
  let client: Client;
  try {
    client = await connectClient(config);
  } catch (err) {
    throw new CliError(
      `cannot reach Temporal at ${config.SPC_TEMPORAL_ADDRESS} (${(err as Error).message}); start it with \`npm run stack -- up\`, or set TEMPORAL_ADDRESS or a temporal.toml profile (\`spc doctor\` shows which)`,
      ExitCode.unreachable,
    );
  }
  try {
    return await fn(client, config);
  } finally {
    await client.connection.close();
  }
}

/** Prints `value` as JSON (for `--json`) or calls `human` to print it for people. */
export function print<T>(json: boolean | undefined, value: T, human: (value: T) => void): void {
  if (json) console.log(JSON.stringify(value, null, 2));
  else human(value);
}

/** Maps Temporal's "not found" to a CliError naming what was looked for. */
export function notFound(err: unknown, what: string): never {
  const name = (err as Error)?.name ?? '';
  if (name === 'WorkflowNotFoundError' || name === 'ScheduleNotFoundError' || /not found/i.test(String((err as Error)?.message))) {
    throw new CliError(`${what} not found`, ExitCode.notFound);
  }
  throw err;
}
