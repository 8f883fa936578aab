import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readLocalSecrets, secretsFile, type LocalSecrets } from '../config';
import type { StackSettings } from '../schemas/config';

/** Returns the embedded stack's keys, generating them on first use (per machine, mode 0600, git-ignored). */
export function ensureLocalSecrets(settings: StackSettings): LocalSecrets {
  const existing = readLocalSecrets(settings);
  if (existing) return existing;
  const secrets: LocalSecrets = {
    storageKey: randomBytes(64).toString('base64'),
    batchKey: randomBytes(64).toString('base64'),
  };
  mkdirSync(settings.SPC_STACK_DIR, { recursive: true });
  writeFileSync(secretsFile(settings), JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}
