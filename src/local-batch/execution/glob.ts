import { readdir } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Output-file patterns as Batch reads them: `*` within one path segment, `**` across directories, `?`, `[abc]`,
 * `[!abc]`; dotfiles match only when named explicitly.
 */
function segmentRegex(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        let body = segment.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        out += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return out;
}

export const hasWildcard = (pattern: string): boolean => /[*?[]/.test(pattern);

/** Regex for a relative pattern, matched against relative paths with `/` separators. */
export function globToRegex(pattern: string): RegExp {
  const parts = pattern.split('/');
  let out = '';
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (part === '**') out += last ? '.*' : '(?:[^/]+/)*';
    else {
      const explicitDot = part.startsWith('.');
      out += (explicitDot ? '' : '(?!\\.)') + segmentRegex(part) + (last ? '' : '/');
    }
  });
  return new RegExp(`^${out}$`);
}

/** Every file under `dir`, relative, read asynchronously: a task can leave a large tree and the loop must not stall. */
async function walk(dir: string, prefix: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) await walk(path.join(dir, entry.name), rel, out);
    else if (entry.isFile()) out.push(rel);
  }
}

export interface GlobMatch {
  /** Absolute path of the file. */
  file: string;
  /** Path relative to the pattern's fixed prefix directory (the blob name under a wildcard destination path). */
  relative: string;
}

/** Files under `baseDir` matching `pattern` (relative to baseDir, `..` allowed, or absolute). */
export async function matchFiles(baseDir: string, pattern: string): Promise<GlobMatch[]> {
  const absolute = path.resolve(baseDir, pattern).split(path.sep).join('/');
  const parts = absolute.split('/');
  const firstWild = parts.findIndex((p) => hasWildcard(p));
  if (firstWild < 0) return [{ file: absolute, relative: path.basename(absolute) }];
  const fixedDir = parts.slice(0, firstWild).join('/') || '/';
  const regex = globToRegex(parts.slice(firstWild).join('/'));
  const files: string[] = [];
  await walk(fixedDir, '', files);
  return files.filter((rel) => regex.test(rel)).map((rel) => ({ file: path.join(fixedDir, rel), relative: rel }));
}
