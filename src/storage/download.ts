import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { ManifestSchema, type Manifest } from '../schemas/manifest';
import { MANIFEST_BLOB } from '../schemas/names';

/** What one download did, per file. */
export interface DownloadReport {
  downloaded: string[];
  /** Already present with the manifest's size and MD5 (a resumed download skips them). */
  skipped: string[];
  /** Could not be fetched or did not match the manifest; any good local copy was kept. */
  failed: { file: string; reason: string }[];
}

/** Reads and validates a run's manifest.json. */
export async function readManifest(container: ContainerClient, abortSignal?: AbortSignal): Promise<Manifest> {
  const body = await container.getBlobClient(MANIFEST_BLOB).downloadToBuffer(0, undefined, { abortSignal });
  return ManifestSchema.parse(JSON.parse(body.toString('utf8')));
}

async function md5Base64(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('base64');
}

async function matches(file: string, expected: { size: number; md5?: string }): Promise<string | undefined> {
  const size = statSync(file).size;
  if (size !== expected.size) return `size ${size} B, manifest says ${expected.size} B`;
  if (expected.md5 && (await md5Base64(file)) !== expected.md5) return 'MD5 differs from the manifest';
  return undefined;
}

/**
 * Downloads the outputs of a run's LADs into `<toDir>/<LAD>/<file>`, verifying each file's size and MD5 against
 * the manifest. A file already present and matching is skipped, so an interrupted download resumes. Each file
 * lands under a temporary name and replaces the target only once verified: a good file is never overwritten by a bad one.
 */
export async function downloadRunOutputs(
  container: ContainerClient,
  manifest: Manifest,
  options: { toDir: string; lads?: string[]; abortSignal?: AbortSignal },
): Promise<DownloadReport> {
  const report: DownloadReport = { downloaded: [], skipped: [], failed: [] };
  const wanted = options.lads ? new Set(options.lads) : undefined;
  for (const entry of manifest.lads) {
    if (wanted && !wanted.has(entry.lad)) continue;
    const dir = path.join(options.toDir, entry.lad);
    mkdirSync(dir, { recursive: true });
    for (const file of entry.files) {
      const target = path.join(dir, file.name);
      const label = `${entry.lad}/${file.name}`;
      if (existsSync(target) && (await matches(target, file)) === undefined) {
        report.skipped.push(label);
        continue;
      }
      const partial = `${target}.partial`;
      try {
        await container.getBlobClient(`${entry.lad}/${file.name}`).downloadToFile(partial, 0, undefined, { abortSignal: options.abortSignal });
        const problem = await matches(partial, file);
        if (problem) throw new Error(problem);
        renameSync(partial, target);
        report.downloaded.push(label);
      } catch (err) {
        rmSync(partial, { force: true });
        report.failed.push({ file: label, reason: (err as Error).message });
      }
    }
  }
  return report;
}
