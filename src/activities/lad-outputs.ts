/**
 * One LAD's outputs in storage, verified against its expected files (read only), by the LAD's own child right after
 * its task. The run's outputs as a whole are finalize's (./finalize/).
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import { checkLadOutputs } from '../outputs/contract';
import { expectedFilesOf, type ExpectedFiles } from './finalize/verify-outputs';
import { listUnder } from './finalize/workspace';

/** A LAD folder compared with its expected files: `problem` is a one-line description when not ok. */
export interface LadOutputsCheck {
  ok: boolean;
  count: number;
  problem?: string;
}

/** Compares a LAD's folder with its expected files. */
export async function checkLadFolder(blobs: BlobServiceClient, req: { container: string; lad: string; expectedFiles: ExpectedFiles }): Promise<LadOutputsCheck> {
  const listed = await listUnder(blobs.getContainerClient(req.container), `${req.lad}/`);
  const check = checkLadOutputs(req.lad, listed, expectedFilesOf(req.lad, req.expectedFiles));
  const parts = [
    check.missing.length && `${check.missing.length} missing (e.g. ${check.missing[0]})`,
    check.empty.length && `${check.empty.length} empty (e.g. ${check.empty[0]})`,
    check.unexpected.length && `${check.unexpected.length} unexpected (e.g. ${check.unexpected[0]})`,
  ].filter(Boolean);
  return { ok: check.ok, count: listed.length, ...(parts.length > 0 && { problem: `outputs of ${req.lad}: ${parts.join(', ')}` }) };
}

export function createLadOutputActivities({ blobs }: { blobs: BlobServiceClient }) {
  return {
    /** Compares a LAD's folder with its expected files (a LAD of 0.1; since 0.2 awaitLadTask verifies). */
    verifyLadOutputs: (req: { container: string; lad: string; expectedFiles: ExpectedFiles }): Promise<LadOutputsCheck> => checkLadFolder(blobs, req),
  };
}
