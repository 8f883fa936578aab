import { createReadStream, existsSync, type Stats } from 'node:fs';
import { lstat, readdir, realpath, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { Engine } from '../model/engine';
import { BatchError, conflict, notFound } from '../http/errors';
import { metadataUrl, type Reply, type Request } from '../http/request-reply';
import { parseFilter } from '../query/odata-filter';
import { maxResultsOf, nextLink, route, type Route } from '../http/routing';
import { getTask } from '../model/tasks';
import type { TaskRecord } from '../model/types';
import { TASK_FILE_FILTER } from '../query/filter-properties';

/** The task file API: stdout.txt / stderr.txt at the task directory root, working files under wd/. */
function taskDirOf(task: TaskRecord): string {
  if (task.wire.state === 'active') {
    // As the service answers (seen in a public report of the real API).
    throw new BatchError(409, 'OperationInvalidForCurrentState', 'The specified operation is not valid for the current state of the resource.', [
      { key: 'Reason', value: 'The files of the specified task cannot be accessed as the task state is still active' },
    ]);
  }
  if (task.cleanedUp) throw conflict('TaskFilesCleanedup', "The task's files have been cleaned up from the node after its retention time.");
  if (!task.taskDir || !existsSync(task.taskDir)) throw conflict('TaskFilesUnavailable', "The task's files are not available: it has not run, or its node is gone.");
  return task.taskDir;
}

const within = (dir: string, target: string) => target === dir || target.startsWith(dir + path.sep);

/**
 * The path of `relative` in the task folder, refusing (404, as for a missing file) any path whose real location
 * leaves the folder: `..` and symlinks alike, so a task cannot make the file API read or delete the node's or the
 * service's files. `followLast: false` (delete) resolves only the parent, so a symlink itself is what gets removed.
 */
async function resolveInside(dir: string, relative: string, followLast: boolean): Promise<string> {
  const target = path.resolve(dir, relative);
  if (!within(dir, target)) throw notFound('File', 'file');
  const missing = () => {
    throw notFound('File', 'file');
  };
  const realDir = await realpath(dir).catch(missing);
  if (target === dir) return realDir;
  const real = await realpath(followLast ? target : path.dirname(target)).catch(missing);
  if (!within(realDir, real)) throw notFound('File', 'file');
  return followLast ? real : path.join(real, path.basename(target));
}

function fileHeaders(req: Request, task: TaskRecord, relative: string, stats: Stats): Record<string, string> {
  return {
    'Content-Type': 'application/octet-stream',
    'Last-Modified': stats.mtime.toUTCString(),
    ETag: `0x${Math.floor(stats.mtimeMs * 10000).toString(16).toUpperCase()}`,
    'ocp-creation-time': stats.birthtime.toUTCString(),
    'ocp-batch-file-isdirectory': stats.isDirectory() ? 'True' : 'False',
    'ocp-batch-file-url': `${req.origin}/jobs/${encodeURIComponent(task.jobId)}/tasks/${encodeURIComponent(task.wire.id)}/files/${encodeURIComponent(relative)}`,
    'ocp-batch-file-mode': (stats.mode & 0o7777).toString(8).padStart(4, '0'),
  };
}

async function statOf(file: string, followLink = true): Promise<Stats> {
  try {
    return await (followLink ? stat(file) : lstat(file));
  } catch {
    throw notFound('File', 'file');
  }
}

async function getFile(engine: Engine, req: Request, [jobId, taskId, filePath]: string[], headOnly: boolean): Promise<Reply> {
  const task = getTask(engine, jobId, taskId);
  const file = await resolveInside(taskDirOf(task), filePath, true);
  const stats = await statOf(file);
  const headers = fileHeaders(req, task, filePath, stats);
  if (headOnly || stats.isDirectory()) return { status: 200, headers: { ...headers, 'Content-Length': String(stats.isDirectory() ? 0 : stats.size) }, raw: Buffer.alloc(0) };
  let start = 0;
  let end = stats.size - 1;
  const range = req.headers['ocp-range'] ?? req.headers.range;
  if (typeof range === 'string' && range) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (!m || (m[1] === '' && m[2] === '')) throw new BatchError(416, 'InvalidRange', 'The range specified is invalid for the current size of the resource.');
    if (m[1] === '') start = Math.max(0, stats.size - Number(m[2]));
    else {
      start = Number(m[1]);
      if (m[2] !== '') end = Math.min(end, Number(m[2]));
    }
    if (start >= stats.size && stats.size > 0) throw new BatchError(416, 'InvalidRange', 'The range specified is invalid for the current size of the resource.');
  }
  const length = Math.max(0, end - start + 1);
  return {
    status: 200,
    headers: { ...headers, 'Content-Length': String(length) },
    raw: (res) => {
      if (length === 0) return res.end();
      createReadStream(file, { start, end }).on('error', () => res.destroy()).pipe(res);
    },
  };
}

async function deleteFile(engine: Engine, req: Request, [jobId, taskId, filePath]: string[]): Promise<Reply> {
  const task = getTask(engine, jobId, taskId);
  const dir = taskDirOf(task);
  if (path.resolve(dir, filePath) === dir) {
    // Deleting the task folder would take stdout/stderr and the working directory of a task that may be running.
    throw new BatchError(400, 'InvalidUri', 'The task directory itself cannot be deleted; delete the files or directories in it.', [
      { key: 'Reason', value: `filePath "${filePath}" names the task directory` },
    ]);
  }
  const file = await resolveInside(dir, filePath, false);
  const stats = await statOf(file, false);
  if (stats.isDirectory() && req.query.get('recursive') !== 'true' && (await readdir(file)).length > 0) {
    throw conflict('DirectoryNotEmpty', 'The directory is not empty; use recursive=true.');
  }
  // Asynchronous: a recursive delete of a big tree must not stall every other request.
  await rm(file, { recursive: true, force: true });
  return { status: 200 };
}

/**
 * Walk order of file names: directory by directory, entries sorted by name, a directory before what it holds. Two
 * names compare segment by segment in that order, so a page can resume after the last name it returned.
 */
function compareWalkOrder(a: string, b: string): number {
  const as = a.split('/');
  const bs = b.split('/');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const c = as[i].localeCompare(bs[i]);
    if (c !== 0) return c;
  }
  return as.length - bs.length;
}

async function listFiles(engine: Engine, req: Request, [jobId, taskId]: string[]): Promise<Reply> {
  const task = getTask(engine, jobId, taskId);
  const dir = taskDirOf(task);
  const recursive = req.query.get('recursive') === 'true';
  const filter = req.query.get('$filter');
  const predicate = filter ? parseFilter(filter, TASK_FILE_FILTER.spec, TASK_FILE_FILTER.name) : undefined;
  const max = maxResultsOf(req);
  // The resume token is the last name a page returned (names are unique and ordered, see compareWalkOrder).
  const after = req.query.get('$skiptoken');
  const entries: { name: string }[] = [];
  let more = false;
  // Asynchronous walk: a recursive list of a big tree must not stall every other request. It stops once it knows
  // there is a next page, so a page costs what lies before it, not the whole tree.
  const walk = async (abs: string, rel: string): Promise<void> => {
    for (const entry of (await readdir(abs, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (more) return;
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      const childAbs = path.join(abs, entry.name);
      const descend = recursive && entry.isDirectory();
      // Before the token: skip it, but a directory may still hold names after the token.
      if (after !== undefined && compareWalkOrder(childRel, after) <= 0) {
        if (descend && (after === childRel || after.startsWith(`${childRel}/`))) await walk(childAbs, childRel);
        continue;
      }
      // lstat: a symlink is listed as what it is (not a directory, never descended into), not as its target.
      const stats = await lstat(childAbs).catch(() => undefined);
      if (!stats) continue; // removed while listed
      const item = {
        name: childRel,
        url: `${req.origin}/jobs/${task.jobId}/tasks/${task.wire.id}/files/${encodeURIComponent(childRel)}`,
        isDirectory: entry.isDirectory(),
        properties: {
          creationTime: stats.birthtime.toISOString(),
          lastModified: stats.mtime.toISOString(),
          contentLength: entry.isDirectory() ? 0 : stats.size,
          contentType: 'application/octet-stream',
          fileMode: (stats.mode & 0o7777).toString(8).padStart(4, '0'),
        },
      };
      if (!predicate || predicate(item)) {
        if (entries.length === max) {
          more = true;
          return;
        }
        entries.push(item);
      }
      if (descend) await walk(childAbs, childRel);
    }
  };
  await walk(dir, '');
  const body: Record<string, unknown> = { 'odata.metadata': metadataUrl(req.origin, 'files'), value: entries };
  if (more) body['odata.nextLink'] = nextLink(req, entries[entries.length - 1].name);
  return { status: 200, body };
}

export const fileRoutes: Route[] = [
  route('GET', '/jobs/{jobId}/tasks/{taskId}/files', 'File_ListFromTask', listFiles),
  route('GET', '/jobs/{jobId}/tasks/{taskId}/files/{filePath*}', 'File_GetFromTask', (e, req, p) => getFile(e, req, p, false)),
  route('HEAD', '/jobs/{jobId}/tasks/{taskId}/files/{filePath*}', 'File_GetPropertiesFromTask', (e, req, p) => getFile(e, req, p, true)),
  route('DELETE', '/jobs/{jobId}/tasks/{taskId}/files/{filePath*}', 'File_DeleteFromTask', deleteFile),
];
