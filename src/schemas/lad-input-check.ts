/**
 * ladRun's input check without zod. Why: a worker evaluates the workflow bundle's modules once per cached workflow,
 * and zod with our schemas cost about 1.5 MiB of heap per copy; ladRun is the workflow cached by the thousand, so
 * it must not load zod. This accepts exactly what `LadRunInputSchema` (lad.ts, still the documented shape and the
 * type) accepts and returns what it returns: defaults filled, keys in the schema's order, unknown top-level keys
 * dropped, unknown nested keys refused. test/run/lad-input-check.test.ts holds the two side by side; a change to
 * either schema of lad.ts or run-input.ts that this file does not follow fails there.
 */
import type { LadRunInput } from './lad';
import type { InputFile } from './run-input';
import { CONTAINER_NAME_REGEX, ENV_NAME_REGEX, LAD_CODE_REGEX, RELATIVE_PATH_REGEX, RELATIVE_PATH_RULE, RUN_ID_REGEX, RUN_ID_RULE } from './patterns';

/** Result of {@link checkLadRunInput}: the normalised input, or one line per bad field (`path: reason`). */
export type CheckedLadRunInput = { ok: true; input: LadRunInput } | { ok: false; message: string };

type Fields = Record<string, unknown>;

/** Collects `path: reason` lines; every reader returns undefined for a bad value and records why. */
class Issues {
  readonly lines: string[] = [];
  add(path: string, reason: string): undefined {
    this.lines.push(`${path || '(input)'}: ${reason}`);
    return undefined;
  }
}

const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
const join = (path: string, key: string | number): string => (path ? `${path}.${key}` : String(key));

/** An object whose keys must all be known (zod's strictObject). */
function strict(value: unknown, path: string, known: readonly string[], issues: Issues): Fields | undefined {
  if (!isObject(value)) return issues.add(path, 'must be an object');
  const unknown = Object.keys(value).filter((k) => !known.includes(k));
  if (unknown.length > 0) issues.add(path, `unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
  return value;
}

interface NumberRule {
  int?: boolean;
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  max?: number;
}

function number(value: unknown, path: string, rule: NumberRule, issues: Issues): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return issues.add(path, 'must be a number');
  if (rule.int && !Number.isSafeInteger(value)) return issues.add(path, 'must be an integer');
  if (rule.min !== undefined && value < rule.min) return issues.add(path, `must be >= ${rule.min}`);
  if (rule.above !== undefined && value <= rule.above) return issues.add(path, `must be > ${rule.above}`);
  if (rule.max !== undefined && value > rule.max) return issues.add(path, `must be <= ${rule.max}`);
  return value;
}

/** A field with a default: the default when absent, else the value checked. */
function numberOr(fallback: number, value: unknown, path: string, rule: NumberRule, issues: Issues): number | undefined {
  return value === undefined ? fallback : number(value, path, rule, issues);
}

interface StringRule {
  min?: number;
  max?: number;
  pattern?: RegExp;
  rule?: string;
}

function string(value: unknown, path: string, rule: StringRule, issues: Issues): string | undefined {
  if (typeof value !== 'string') return issues.add(path, 'must be a string');
  if (rule.min !== undefined && value.length < rule.min) return issues.add(path, rule.min === 1 ? 'must not be empty' : `must be at least ${rule.min} characters`);
  if (rule.max !== undefined && value.length > rule.max) return issues.add(path, `must be at most ${rule.max} characters`);
  if (rule.pattern && !rule.pattern.test(value)) return issues.add(path, rule.rule ?? `must match ${String(rule.pattern)}`);
  return value;
}

function array<T>(value: unknown, path: string, max: number | undefined, item: (v: unknown, p: string) => T | undefined, issues: Issues): T[] | undefined {
  if (!Array.isArray(value)) return issues.add(path, 'must be an array');
  if (max !== undefined && value.length > max) return issues.add(path, `must have at most ${max} items`);
  const before = issues.lines.length;
  const items = value.map((v, i) => item(v, join(path, i)));
  return issues.lines.length === before ? (items as T[]) : undefined;
}

const ladCode = (value: unknown, path: string, issues: Issues): string | undefined =>
  typeof value === 'string' && !LAD_CODE_REGEX.test(value) ? issues.add(path, `${JSON.stringify(value)} must match ${String(LAD_CODE_REGEX)}`) : string(value, path, {}, issues);

function blobRef(value: unknown, path: string, issues: Issues): InputFile['source'] | undefined {
  const o = strict(value, path, ['container', 'blob'], issues);
  if (!o) return undefined;
  const container = string(o.container, join(path, 'container'), { pattern: CONTAINER_NAME_REGEX, rule: 'must be a valid container name' }, issues);
  const blob = string(o.blob, join(path, 'blob'), { min: 1, max: 1024 }, issues);
  return container === undefined || blob === undefined ? undefined : { container, blob };
}

function inputFiles(value: unknown, path: string, issues: Issues): InputFile[] | undefined {
  if (value === undefined) return [];
  return array(value, path, 100, (v, p) => {
    const o = strict(v, p, ['source', 'filePath'], issues);
    if (!o) return undefined;
    const source = blobRef(o.source, join(p, 'source'), issues);
    const filePath = string(o.filePath, join(p, 'filePath'), { pattern: RELATIVE_PATH_REGEX, rule: RELATIVE_PATH_RULE }, issues);
    return source === undefined || filePath === undefined ? undefined : { source, filePath };
  }, issues);
}

function simOptions(value: unknown, path: string, issues: Issues) {
  // Absent options parse as {} (zod's prefault); null is refused.
  const o = strict(value === undefined ? {} : value, path, ['durationMs', 'scale', 'failProbability', 'failAttempts', 'durationSpread'], issues);
  if (!o) return undefined;
  const durationMs = numberOr(2000, o.durationMs, join(path, 'durationMs'), { int: true, min: 0, max: 3_600_000 }, issues);
  const scale = numberOr(0.05, o.scale, join(path, 'scale'), { above: 0, max: 10 }, issues);
  const failProbability = numberOr(0, o.failProbability, join(path, 'failProbability'), { min: 0, max: 1 }, issues);
  let failAttempts: Record<string, number> | undefined = {};
  if (o.failAttempts !== undefined) {
    const at = join(path, 'failAttempts');
    if (!isObject(o.failAttempts)) failAttempts = issues.add(at, 'must be an object');
    else {
      for (const [lad, count] of Object.entries(o.failAttempts)) {
        const key = ladCode(lad, join(at, lad), issues);
        const n = number(count, join(at, lad), { int: true, min: 0, max: 1000 }, issues);
        if (key === undefined || n === undefined) failAttempts = undefined;
        else if (failAttempts) failAttempts[key] = n;
      }
    }
  }
  const durationSpread = o.durationSpread === undefined ? undefined : number(o.durationSpread, join(path, 'durationSpread'), { min: 1, max: 100 }, issues);
  if (durationMs === undefined || scale === undefined || failProbability === undefined || failAttempts === undefined) return undefined;
  if (o.durationSpread !== undefined && durationSpread === undefined) return undefined;
  return { durationMs, scale, failProbability, failAttempts, ...(durationSpread !== undefined && { durationSpread }) };
}

function recipe(value: unknown, path: string, issues: Issues): LadRunInput['recipe'] | undefined {
  if (!isObject(value)) return issues.add(path, 'must be an object');
  const name = value.name;
  if (name === 'spenser-sim') {
    const o = strict(value, path, ['name', 'options'], issues);
    const options = o && simOptions(o.options, join(path, 'options'), issues);
    return options && { name, options };
  }
  if (name === 'spenser') return strict(value, path, ['name'], issues) && { name };
  if (name !== 'custom') return issues.add(join(path, 'name'), 'must name a known recipe: "spenser-sim", "spenser" or "custom"');
  const o = strict(value, path, ['name', 'command', 'inputFiles', 'outputPattern', 'startCommand', 'startInputFiles', 'secretEnvironment'], issues);
  if (!o) return undefined;
  const before = issues.lines.length;
  const command = string(o.command, join(path, 'command'), { min: 1, max: 8000 }, issues);
  const files = inputFiles(o.inputFiles, join(path, 'inputFiles'), issues);
  const outputPattern = o.outputPattern === undefined ? 'output/*.csv' : string(o.outputPattern, join(path, 'outputPattern'), { min: 1 }, issues);
  const startCommand = o.startCommand === undefined ? undefined : string(o.startCommand, join(path, 'startCommand'), { min: 1, max: 8000 }, issues);
  const startInputFiles = inputFiles(o.startInputFiles, join(path, 'startInputFiles'), issues);
  const secretEnvironment = o.secretEnvironment === undefined
    ? []
    : array(o.secretEnvironment, join(path, 'secretEnvironment'), 20, (v, p) => string(v, p, { pattern: ENV_NAME_REGEX, rule: 'must be an environment variable name' }, issues), issues);
  if (issues.lines.length > before) return undefined;
  return {
    name,
    command: command!,
    inputFiles: files!,
    outputPattern: outputPattern!,
    ...(startCommand !== undefined && { startCommand }),
    startInputFiles: startInputFiles!,
    secretEnvironment: secretEnvironment!,
  };
}

function retry(value: unknown, path: string, issues: Issues): LadRunInput['retry'] | undefined {
  const o = strict(value, path, ['maxAttempts', 'backoffMs', 'backoffCoefficient'], issues);
  if (!o) return undefined;
  const maxAttempts = numberOr(3, o.maxAttempts, join(path, 'maxAttempts'), { int: true, min: 1, max: 100 }, issues);
  const backoffMs = numberOr(30_000, o.backoffMs, join(path, 'backoffMs'), { int: true, min: 0, max: 86_400_000 }, issues);
  const backoffCoefficient = numberOr(2, o.backoffCoefficient, join(path, 'backoffCoefficient'), { min: 1, max: 10 }, issues);
  if (maxAttempts === undefined || backoffMs === undefined || backoffCoefficient === undefined) return undefined;
  return { maxAttempts, backoffMs, backoffCoefficient };
}

function timeouts(value: unknown, path: string, issues: Issues): LadRunInput['timeouts'] | undefined {
  const o = strict(value, path, ['taskMs', 'runMs', 'heartbeatMs', 'quotaRetryMs'], issues);
  if (!o) return undefined;
  const taskMs = numberOr(6 * 3_600_000, o.taskMs, join(path, 'taskMs'), { int: true, min: 1000 }, issues);
  const runMs = numberOr(7 * 86_400_000, o.runMs, join(path, 'runMs'), { int: true, min: 1000 }, issues);
  const heartbeatMs = numberOr(30_000, o.heartbeatMs, join(path, 'heartbeatMs'), { int: true, min: 1000, max: 600_000 }, issues);
  const quotaRetryMs = numberOr(60_000, o.quotaRetryMs, join(path, 'quotaRetryMs'), { int: true, min: 1000, max: 3_600_000 }, issues);
  if (taskMs === undefined || runMs === undefined || heartbeatMs === undefined || quotaRetryMs === undefined) return undefined;
  return { taskMs, runMs, heartbeatMs, quotaRetryMs };
}

function expectedFiles(value: unknown, path: string, issues: Issues): LadRunInput['expectedFiles'] | undefined {
  if (value === 'contract') return value;
  if (!Array.isArray(value)) return issues.add(path, 'must be "contract" or a list of file names');
  return array(value, path, undefined, (v, p) => string(v, p, {}, issues), issues);
}

/**
 * Checks and normalises a ladRun input as `LadRunInputSchema.safeParse` does, without loading zod.
 * @returns the input with defaults filled, or `{ ok: false, message }` naming every bad field (never throws).
 */
export function checkLadRunInput(raw: unknown): CheckedLadRunInput {
  const issues = new Issues();
  if (!isObject(raw)) {
    issues.add('', 'must be an object');
    return { ok: false, message: issues.lines.join('\n') };
  }
  const input = {
    runId: string(raw.runId, 'runId', { pattern: RUN_ID_REGEX, rule: RUN_ID_RULE }, issues),
    lad: ladCode(raw.lad, 'lad', issues),
    jobId: string(raw.jobId, 'jobId', { min: 1 }, issues),
    container: string(raw.container, 'container', { min: 1 }, issues),
    recipe: recipe(raw.recipe, 'recipe', issues),
    retry: retry(raw.retry, 'retry', issues),
    timeouts: timeouts(raw.timeouts, 'timeouts', issues),
    expectedFiles: expectedFiles(raw.expectedFiles, 'expectedFiles', issues),
    pollIntervalMs: number(raw.pollIntervalMs, 'pollIntervalMs', { int: true, min: 100 }, issues),
    firstAttempt: numberOr(1, raw.firstAttempt, 'firstAttempt', { int: true, min: 1 }, issues),
    ...(raw.rank !== undefined && { rank: number(raw.rank, 'rank', { int: true, min: 0 }, issues) }),
    ...(raw.version !== undefined && { version: number(raw.version, 'version', { int: true, min: 1 }, issues) }),
  };
  if (issues.lines.length > 0) return { ok: false, message: issues.lines.join('\n') };
  return { ok: true, input: input as LadRunInput };
}
