/**
 * Reads a rates file (data/rates/*.json shape; a path on the worker or an http(s) URL) for the cost estimate.
 * Kept for a few minutes per source, so a watch that reports every few minutes does not read it each time.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatIssues } from '../schemas/issues';
import { rateOf, RatesFileSchema, type RatesFile, type RunRates } from '../schemas/cost';

/** data/rates of the package: dist/src/activities -> ../../.. ; src/activities -> ../.. */
export const RATES_DIR = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..', 'data', 'rates');
/** The rates used when the run names none. */
export const DEFAULT_RATES_FILE = path.join(RATES_DIR, 'azure-uksouth-linux.json');

const CACHE_MS = 5 * 60_000;
const cache = new Map<string, { at: number; rates: RatesFile }>();

/** Loads and checks a rates file; throws an Error naming `cost.ratesFile` and what is wrong. */
export async function loadRates(source: string = DEFAULT_RATES_FILE): Promise<RatesFile> {
  const hit = cache.get(source);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.rates;
  let text: string;
  try {
    if (/^https?:\/\//i.test(source)) {
      const response = await fetch(source, { signal: AbortSignal.timeout(30_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      text = await response.text();
    } else text = await readFile(source, 'utf8');
  } catch (err) {
    throw new Error(`cost.ratesFile: cannot read ${source}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`cost.ratesFile: ${source} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = RatesFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`cost.ratesFile: ${source}: ${formatIssues(parsed.error).split('\n').join('; ')}`);
  cache.set(source, { at: Date.now(), rates: parsed.data });
  return parsed.data;
}

/** The part of `file` a run keeps: its header and the rate of `vmSize`, if it has one. */
export function ratesFor(file: RatesFile, vmSize: string): RunRates {
  const rate = rateOf(file.rates, vmSize);
  return { currency: file.currency, date: file.date, source: file.source, rates: rate ? { [vmSize.toLowerCase()]: rate } : {} };
}

/** What a budget needs and the file lacks: each size's rate for the priorities the pool uses. */
export function missingRates(file: RatesFile, vmSizes: readonly string[], priorities: { dedicated: boolean; spot: boolean }): string[] {
  const missing: string[] = [];
  for (const vmSize of vmSizes) {
    const rate = rateOf(file.rates, vmSize);
    if (priorities.dedicated && rate?.dedicated === undefined) missing.push(`${vmSize} dedicated`);
    if (priorities.spot && rate?.spot === undefined) missing.push(`${vmSize} spot`);
  }
  return missing;
}
