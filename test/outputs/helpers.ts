/** Shared helpers of the outputs tests: run spenser-sim as a real subprocess, temp folders, CSV reading. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** dist/test/outputs -> the repository root. */
export const repoRoot = path.resolve(__dirname, '../../..');
/** The compiled, standalone simulator, exactly as uploaded to a Batch node. */
export const simScript = path.join(repoRoot, 'dist/src/recipes/spenser-sim/spenser-sim.js');
export const recipesDir = path.join(repoRoot, 'recipes/spenser');

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `file args` and resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Runs spenser-sim with `node`, as a Batch task would. */
export const runSim = (args: string[]): Promise<ProcessResult> => run(process.execPath, [simScript, ...args]);

const made: string[] = [];
/** A fresh temp folder, removed by {@link removeTempDirs}. */
export function tempDir(label: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `spc-outputs-${label}-`));
  made.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A CSV file as header and cells (our outputs have no quoting). */
export function readCsv(file: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(file, 'utf8').split('\n');
  assertTrailingNewline(lines, file);
  lines.pop();
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

function assertTrailingNewline(lines: string[], file: string): void {
  if (lines[lines.length - 1] !== '') throw new Error(`${file} does not end with a newline`);
}

export const md5 = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

/** Name, size, MD5 and rows of every file in a folder, sorted by name. */
export function fileFacts(dir: string): { name: string; size: number; md5: string; rows: number }[] {
  return readdirSync(dir).sort().map((name) => {
    const data = readFileSync(path.join(dir, name));
    const lines = data.toString('utf8').split('\n').length - 1;
    return { name, size: statSync(path.join(dir, name)).size, md5: md5(data), rows: lines - 1 };
  });
}

/** A file of the LAD lists: the repository's data/lads if present, else the shared folder next to the repository. */
export function ladData(name: string): string {
  for (const dir of [path.join(repoRoot, 'data/lads'), path.join(repoRoot, '../shared/data/lads')]) {
    const file = path.join(dir, name);
    if (existsSync(file)) return readFileSync(file, 'utf8');
  }
  throw new Error(`LAD data file ${name} not found in data/lads or ../shared/data/lads`);
}
