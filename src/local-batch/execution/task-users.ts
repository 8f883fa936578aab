import { readFileSync, statSync } from 'node:fs';
import { chmod, lchown, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { UserIdentity } from '../http/wire-schemas';

/**
 * Who task processes run as. When the service runs as root, a task's `userIdentity` decides, as on a Batch node:
 * `autoUser.elevationLevel: admin` runs as root, anything else (nonadmin, the default) as an unprivileged account
 * (`nobody` unless configured), which cannot read the service's journal or the stack's 0600 secrets. Both auto-user
 * scopes (task, pool) map to that one account. When the service does not run as root it cannot switch users: every
 * task runs as the service user, and only file modes (journal folder 0700, secrets 0600) and the file API's
 * confinement stand between tasks and those files.
 */
export interface TaskUser {
  name: string;
  uid: number;
  gid: number;
}

/** The account of `name` from /etc/passwd; a clear error when it is not there. */
export function lookupUser(name: string): TaskUser {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[0] === name);
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error(`local-batch: the task user "${name}" (taskUser / SPC_BATCH_TASK_USER) is not in /etc/passwd; nonadmin tasks cannot run as it`);
  }
  return { name, uid: Number(uid), gid: Number(gid) };
}

/** The unprivileged user for nonadmin tasks, or undefined when the service cannot switch users (it is not root). */
export function nonadminUserOf(taskUser: string | undefined): TaskUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return lookupUser(taskUser ?? 'nobody');
}

/** The user a task with this identity runs as; undefined means the service's own user. */
export function runAs(identity: UserIdentity | undefined, nonadmin: TaskUser | undefined): TaskUser | undefined {
  return identity?.autoUser?.elevationLevel === 'admin' ? undefined : nonadmin;
}

/**
 * Checks that `user` can reach `dir` (every folder above it searchable by others) and makes `dir` itself
 * searchable but not listable, so tasks reach their node folders and nothing else of the service's data folder.
 */
export function openPathFor(user: TaskUser, dir: string): void {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const stats = statSync(d);
    if (!(stats.mode & 0o001) && stats.uid !== user.uid) {
      throw new Error(
        `local-batch: nonadmin tasks run as "${user.name}" cannot reach ${dir}: ${d} is not searchable by others (mode ${(stats.mode & 0o777).toString(8)}); ` +
          'make it searchable (chmod o+x) or move the data folder (SPC_STACK_DIR)',
      );
    }
    if (path.dirname(d) === d) break;
  }
}

/** Gives `dir` and everything in it to `user` (the task's own folder: its working files and downloaded inputs). */
export async function giveTree(dir: string, user: TaskUser): Promise<void> {
  await lchown(dir, user.uid, user.gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) await giveTree(child, user);
    else await lchown(child, user.uid, user.gid);
  }
}

/** Folders every task of a node shares whoever it runs as (shared, HOME, TMPDIR): writable by all, sticky like /tmp. */
export async function shareDirs(dirs: string[]): Promise<void> {
  for (const dir of dirs) await chmod(dir, 0o1777);
}
