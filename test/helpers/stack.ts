import { randomBytes } from 'node:crypto';
import { loadConfig, loadStackSettings, requireSharedKeys, type SharedKeyConfig } from '../../src/config';
import { installQuietRuntime } from '../../src/runtime';
import { stackUp } from '../../src/stack/stack';

/**
 * Brings the shared local stack up (or reuses the running one) and returns the configuration pointing at it.
 * `npm test` starts the stack once before the suites; this call is then a cheap check.
 */
export async function ensureStack(): Promise<SharedKeyConfig> {
  installQuietRuntime();
  await stackUp(loadStackSettings(), () => undefined);
  return requireSharedKeys(loadConfig());
}

/** A short unique suffix for task queues, workflow ids and containers, so suites can share one stack. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
