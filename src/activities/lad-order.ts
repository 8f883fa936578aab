/**
 * Plans the order a run's LADs start in (longest processing time first) from what earlier runs took: the manifests
 * of the runs the input names (`durationsFrom`), else of the schedule's last two runs (its lineage pointer), else,
 * for the offline recipe, the simulated size. The plan is written to the run's container (the manifest later shows
 * predicted against actual) and returned packed (4 characters per LAD), so the run's state stays bounded.
 */
import { Context } from '@temporalio/activity';
import type { BlobServiceClient } from '@azure/storage-blob';
import { expectedSecondsFromManifests, medianOf, packExpectedSeconds, type ManifestDurations } from '../outputs/expected-durations';
import { simulatedDurationMsOf } from '../recipes/duration-spread';
import { LINEAGE_CONTAINER, lineageBlobOf, LineagePointerSchema } from '../schemas/lineage';
import { ladPlanBlobOf, type LadOrderRecord, type LadPlan } from '../schemas/lad-order';
import { containerOf } from '../schemas/names';
import type { Recipe } from '../schemas/run-input';
import { callSignal } from './clients';
import { mapped, statusOf } from './errors';
import { readManifestIfAny } from './lineage';

export interface PlanLadOrderRequest {
  runId: string;
  /** The run's container (the plan is written there). */
  container: string;
  /** The run's LADs in input order. */
  lads: string[];
  recipe: Recipe;
  order?: 'input' | 'longest-first';
  durationsFrom?: string[];
  scheduleId?: string;
}

export interface PlannedLadOrder extends LadOrderRecord {
  /** Expected seconds per LAD in input order (outputs/expected-durations.ts), when any are known. */
  expected?: string;
}

/** Earlier runs to learn from, most recent first: those named, else the schedule's pointer and the run before it. */
async function sourcesOf(blobs: BlobServiceClient, req: PlanLadOrderRequest): Promise<{ runId: string; container: string }[]> {
  if (req.durationsFrom) return req.durationsFrom.map((runId) => ({ runId, container: containerOf(runId) }));
  if (!req.scheduleId) return [];
  try {
    const body = await blobs.getContainerClient(LINEAGE_CONTAINER).getBlobClient(lineageBlobOf(req.scheduleId)).downloadToBuffer(0, undefined, { abortSignal: callSignal(Context.current().cancellationSignal) });
    const pointer = LineagePointerSchema.parse(JSON.parse(body.toString('utf8')));
    // A retried plan of a run already finalized (the pointer names it) learns from the runs before it.
    const runs = pointer.runId === req.runId ? [pointer.previous] : [{ runId: pointer.runId, container: pointer.container }, pointer.previous];
    return runs.filter((r): r is { runId: string; container: string } => r !== undefined && r.runId !== req.runId);
  } catch (err) {
    if (statusOf(err) === 404) return [];
    throw err;
  }
}

/** The plan: expected seconds per LAD and the order, with why (pure but for its inputs). */
export function planOf(req: Pick<PlanLadOrderRequest, 'lads' | 'recipe' | 'order'>, manifests: readonly ManifestDurations[]): LadPlan {
  const learnt = expectedSecondsFromManifests(req.lads, manifests);
  const wanted = req.order ?? 'longest-first';
  const expected = new Map<string, number>();
  let why: string;
  const sources = manifests.map((m) => m.runId);
  if (learnt.size > 0) {
    // A LAD no earlier run finished gets the median: neither first nor last for want of history.
    const median = medianOf(learnt.values())!;
    for (const lad of req.lads) expected.set(lad, learnt.get(lad) ?? median);
    const missing = req.lads.length - learnt.size;
    why = `expected durations of ${learnt.size} of ${req.lads.length} LADs from ${sources.join(', ')}${missing ? ` (the other ${missing} took the median, ${median} s)` : ''}`;
  } else if (req.recipe.name === 'spenser-sim' && (req.recipe.options.durationSpread ?? 1) > 1) {
    for (const lad of req.lads) expected.set(lad, Math.max(1, Math.round(simulatedDurationMsOf(lad, req.recipe.options) / 1000)));
    why = 'expected durations from the simulated sizes of spenser-sim (no earlier run)';
  } else {
    why = sources.length ? `no expected durations: ${sources.join(', ')} finished none of these LADs` : 'no expected durations: no earlier run (name one with durationsFrom, or run from a schedule)';
  }
  const used = wanted === 'longest-first' && expected.size > 0 ? 'longest-first' : 'input';
  const reason = wanted === 'input' ? `input order, as asked${expected.size ? `; ${why}` : ''}` : used === 'longest-first' ? `longest first: ${why}` : `input order: ${why}`;
  return { used, reason, ...(sources.length && { sources }), expectedSeconds: Object.fromEntries(expected) };
}

export function createLadOrderActivities({ blobs }: { blobs: BlobServiceClient }) {
  return {
    /** Plans the LAD order (idempotent: the same manifests give the same plan; the blob is overwritten). */
    async planLadOrder(req: PlanLadOrderRequest): Promise<PlannedLadOrder> {
      const manifests: ManifestDurations[] = [];
      for (const source of await mapped('read the lineage pointer', () => sourcesOf(blobs, req))) {
        const manifest = await mapped(`read the manifest of ${source.runId}`, () => readManifestIfAny(blobs, source.container));
        if (manifest) manifests.push({ runId: source.runId, lads: manifest.lads });
      }
      const plan = planOf(req, manifests);
      const text = JSON.stringify(plan);
      await mapped('write the LAD plan', () =>
        blobs
          .getContainerClient(req.container)
          .getBlockBlobClient(ladPlanBlobOf(req.runId))
          .upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'application/json' }, abortSignal: callSignal(Context.current().cancellationSignal) }),
      );
      const seconds = new Map(Object.entries(plan.expectedSeconds));
      return { used: plan.used, reason: plan.reason, ...(plan.sources && { sources: plan.sources }), ...(seconds.size && { expected: packExpectedSeconds(req.lads, seconds) }) };
    },
  };
}
