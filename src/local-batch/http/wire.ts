/** Wire formats of the Batch REST API: timestamps, durations, ETags, ids. */

/** "Unlimited" as the real service returns it (TimeSpan.MaxValue). */
export const UNLIMITED = 'P10675199DT2H48M5.4775807S';
export const UNLIMITED_MS = Number.MAX_SAFE_INTEGER;

let lastTick = 0n;

/** ISO 8601 UTC with 7 fractional digits, e.g. 2016-09-06T07:02:44.7589958Z. */
export function isoTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

/** RFC 1123, for Last-Modified. */
export function rfc1123(iso: string): string {
  return new Date(iso).toUTCString();
}

/** A fresh ETag in the service's shape (0x8D...), strictly increasing within the process. */
export function newETag(): string {
  let tick = BigInt(Date.now()) * 10000n + 621355968000000000n;
  if (tick <= lastTick) tick = lastTick + 1n;
  lastTick = tick;
  return `0x${tick.toString(16).toUpperCase()}`;
}

/** The properties every newly added entity (pool, job, task) starts with, in its initial `active` state. */
export function newEntityWire(id: string, url: string) {
  const now = isoTime();
  return { id, url, eTag: newETag(), lastModified: now, creationTime: now, state: 'active' as const, stateTransitionTime: now };
}

const durationPattern = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Parses an ISO 8601 duration (days and time parts) to milliseconds; undefined when malformed. */
export function parseDuration(value: string): number | undefined {
  if (value === UNLIMITED) return UNLIMITED_MS;
  const m = durationPattern.exec(value);
  if (!m || value === 'P' || value.endsWith('T')) return undefined;
  const [d, h, min, s] = m.slice(1).map((part) => (part ? Number(part) : 0));
  const ms = (((d * 24 + h) * 60 + min) * 60 + s) * 1000;
  return ms >= 8.64e14 ? UNLIMITED_MS : Math.round(ms);
}

/** Batch ids: letters, digits, hyphens and underscores, 1..64 characters. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
