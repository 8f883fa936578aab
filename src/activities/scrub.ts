/**
 * Scrubbing of text the product stores (stderr tails in history, the manifest and the report; error messages):
 * the values of every secret the worker knows are replaced, and so is anything shaped like a SAS signature or an
 * account key, known or not. Why at the source: once a tail is in a workflow history it cannot be taken back.
 */
import type { Config } from '../schemas/config';

/** What a removed value is replaced with. */
export const REDACTED = '[redacted]';

/** Values shorter than this are not treated as secrets (replacing "1" everywhere would garble the text). */
const MIN_SECRET_LENGTH = 8;

/** Signatures and keys in the forms they take in URLs and connection strings. */
const SHAPES: RegExp[] = [/([?&]sig=)[^&\s"'<>]+/gi, /(AccountKey=)[^;\s"'<>]+/gi, /(SharedAccessSignature=)[^;\s"'<>]+/gi];

export type Scrubber = (text: string) => string;

/**
 * A scrubber for the given secret values; each is also matched URL-encoded (SAS tokens and keys appear in URLs).
 * @example createScrubber([process.env.NOMIS_API_KEY])('key=abc...') // 'key=[redacted]'
 */
export function createScrubber(secrets: readonly (string | undefined)[]): Scrubber {
  const values = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
    values.add(secret);
    values.add(encodeURIComponent(secret));
  }
  // Longest first, so a secret containing another is removed whole.
  const ordered = [...values].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const value of ordered) out = out.split(value).join(REDACTED);
    for (const shape of SHAPES) out = out.replace(shape, `$1${REDACTED}`);
    return out;
  };
}

/** The secrets a worker holds: the Batch key, the storage key or SAS, an Entra client secret, and the task secrets it may pass on. */
export function workerSecrets(config: Pick<Config, 'AZURE_BATCH_KEY' | 'AZURE_STORAGE_CONNECTION_STRING' | 'SPC_TASK_SECRETS'>, env: Record<string, string | undefined>): string[] {
  const connection = config.AZURE_STORAGE_CONNECTION_STRING ?? '';
  const fromConnection = [...connection.matchAll(/(?:AccountKey|SharedAccessSignature)=([^;]+)/g)].map((m) => m[1]);
  const taskSecrets = config.SPC_TASK_SECRETS.split(',').filter(Boolean).map((name) => env[name] ?? '');
  // An Entra ID client secret is as much a secret as a key (DefaultAzureCredential reads it from the environment).
  return [config.AZURE_BATCH_KEY ?? '', ...fromConnection, ...taskSecrets, env.NOMIS_API_KEY ?? '', env.AZURE_CLIENT_SECRET ?? ''];
}
