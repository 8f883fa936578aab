import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';

/**
 * Removes a task's directory in the background, best effort: a process that is still being killed may create a file
 * while the tree is removed (ENOTEMPTY), so retry a few times and then leave the leftovers to the node's own cleanup.
 */
export function removeTaskDir(taskDir: string): void {
  rm(taskDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }).catch(() => undefined);
}

/** Removes a node's directory now (a node may boot again under the same id right after), tolerating ENOTEMPTY. */
export function removeNodeDirNow(nodeRoot: string): void {
  try {
    rmSync(nodeRoot, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  } catch {
    // A dying task process still writing: leave the leftovers, the next boot reuses the folder.
  }
}
