import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Folder removal off the request path. A task or node folder is first renamed into the trash folder (one metadata
 * operation, however big the tree), so its path is free at once: a task re-added with the same id, or a node booting
 * again under its id, gets a fresh folder that the background removal cannot touch. The tree is then deleted
 * asynchronously; a process still being killed may write into it (ENOTEMPTY), so the removal retries and leftovers
 * are swept at the next start.
 */
let discarded = 0;

/** Moves `dir` into `trashDir` now and deletes it in the background; a missing `dir` is fine. */
export function discardDir(trashDir: string, dir: string): void {
  const target = path.join(trashDir, `${Date.now().toString(36)}-${process.pid}-${++discarded}`);
  let doomed = target;
  try {
    renameSync(dir, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    // Not movable (e.g. the trash folder is gone): delete in place, still in the background.
    doomed = dir;
  }
  removeInBackground(doomed);
}

function removeInBackground(dir: string): void {
  rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }).catch((err: unknown) => {
    console.error(`local-batch: could not remove ${dir} (left for the next start):`, (err as Error).message);
  });
}

/** Creates the trash folder and deletes what a previous run left in it (in the background). */
export function openTrash(trashDir: string): void {
  mkdirSync(trashDir, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(trashDir)) removeInBackground(path.join(trashDir, name));
}

/** Creates every folder in `dirs` (recursively), off the main thread. */
export async function makeDirs(dirs: string[]): Promise<void> {
  for (const dir of dirs) await mkdir(dir, { recursive: true });
}
