/**
 * Packing of a run's per-LAD records into {@link PackedLads} and back (pure functions, unit-tested): what makes the
 * continue-as-new state and finalize's input small whatever the LAD count.
 */
import type { LadStatus } from './progress';
import type { LadRecord, PackedLads } from './run-state';

const STATUS_CODES: Record<LadStatus, string> = { queued: 'q', running: 'r', retrying: 't', succeeded: 's', failed: 'f', cancelled: 'c' };
const STATUS_OF_CODE = Object.fromEntries(Object.entries(STATUS_CODES).map(([status, code]) => [code, status as LadStatus]));
const MAX_ATTEMPTS_CODE = 35;
const DURATION_DIGITS = 4;
const MAX_DURATION_S = 36 ** DURATION_DIGITS - 1;
const NO_DURATION = '-'.repeat(DURATION_DIGITS);

/** Packs the records of `ladOrder`; `inputLads` is the run input's LAD list, so an equal order is not repeated. */
export function packLads(ladOrder: readonly string[], lads: Readonly<Record<string, LadRecord>>, inputLads: readonly string[] | undefined): PackedLads {
  const packed: PackedLads = { statuses: '', attempts: '', durations: '', errors: {}, notes: {}, lastAttempts: {}, results: {} };
  if (!sameOrder(ladOrder, inputLads)) packed.ladOrder = [...ladOrder];
  const statuses: string[] = [];
  const attempts: string[] = [];
  const durations: string[] = [];
  for (const lad of ladOrder) {
    const rec = lads[lad];
    statuses.push(STATUS_CODES[rec.status]);
    attempts.push(Math.min(rec.attempts, MAX_ATTEMPTS_CODE).toString(36));
    durations.push(rec.durationMs === undefined ? NO_DURATION : Math.min(Math.round(rec.durationMs / 1000), MAX_DURATION_S).toString(36).padStart(DURATION_DIGITS, '0'));
    if (rec.error !== undefined) packed.errors[lad] = rec.error;
    if (rec.note !== undefined) packed.notes[lad] = rec.note;
    if (rec.lastAttempt) packed.lastAttempts[lad] = rec.lastAttempt;
    if (rec.result) packed.results[lad] = rec.result;
  }
  packed.statuses = statuses.join('');
  packed.attempts = attempts.join('');
  packed.durations = durations.join('');
  return packed;
}

/** The records back (durations in whole seconds). Throws when the packed strings do not match the LAD count. */
export function unpackLads(packed: PackedLads, inputLads: readonly string[] | undefined): { ladOrder: string[]; lads: Record<string, LadRecord> } {
  const ladOrder = [...(packed.ladOrder ?? inputLads ?? [])];
  const n = ladOrder.length;
  if (packed.statuses.length !== n || packed.attempts.length !== n || packed.durations.length !== n * DURATION_DIGITS) {
    throw new Error(`packed LADs do not match the ${n} LADs of the run`);
  }
  const lads: Record<string, LadRecord> = {};
  ladOrder.forEach((lad, i) => {
    const duration = packed.durations.slice(i * DURATION_DIGITS, (i + 1) * DURATION_DIGITS);
    lads[lad] = {
      status: STATUS_OF_CODE[packed.statuses[i]],
      attempts: parseInt(packed.attempts[i], 36),
      ...(duration !== NO_DURATION && { durationMs: parseInt(duration, 36) * 1000 }),
      ...(packed.errors[lad] !== undefined && { error: packed.errors[lad] }),
      ...(packed.notes[lad] !== undefined && { note: packed.notes[lad] }),
      ...(packed.lastAttempts[lad] && { lastAttempt: packed.lastAttempts[lad] }),
      ...(packed.results[lad] && { result: packed.results[lad] }),
    };
  });
  return { ladOrder, lads };
}

function sameOrder(a: readonly string[], b: readonly string[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((lad, i) => lad === b[i]);
}
