/**
 * spenser-sim: an offline stand-in for the SPENSER per-LAD pipeline (design.md sections 1 and 2).
 *
 * It prints the real pipeline's steps, takes `--duration-ms` spread over them, can fail like the real thing, and
 * writes the 69 CSV files of the output contract flat into `--out`, with consistent identifier columns and plausible
 * census category columns. Output is a pure function of (LAD, --scale, --vary), so two identical runs produce
 * byte-identical files and the nightly diff reports "no change".
 *
 * STANDALONE on purpose: it imports only `node:` modules, so the compiled file can be uploaded to a Batch node as a
 * single resource file and run with `node spenser-sim.js ...`. Do not import project code here. That is also why
 * it is longer than our usual file size: the file names and columns repeat the contract (src/outputs/contract.ts),
 * and test/outputs checks the two agree.
 *
 * Exit codes: 0 success, 1 failure (simulated or real), 2 invalid arguments.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const LAD_CODE_PATTERN = /^[EWSN]\d{8}$/;
const ASSIGNMENT_YEARS = [2012, 2020, 2022, 2032, 2039];
const FIRST_YEAR = 2011;
const LAST_YEAR = 2039;

export const PEOPLE_COLUMNS = ['PID', 'Area', 'DC1117EW_C_SEX', 'DC1117EW_C_AGE', 'DC2101EW_C_ETHPUK11'];
export const ASSIGNED_PEOPLE_COLUMNS = [...PEOPLE_COLUMNS, 'HID'];
export const HOUSEHOLD_COLUMNS = [
  'HID', 'Area', 'LC4402_C_TYPACCOM', 'QS420_CELL', 'LC4402_C_TENHUK11', 'LC4408_C_AHTHUK11', 'CommunalSize',
  'LC4404_C_SIZHUK11', 'LC4404_C_ROOMS', 'LC4405EW_C_BEDROOMS', 'LC4408EW_C_PPBROOMHEW11', 'LC4402_C_CENHEATHUK11',
  'LC4605_C_NSSEC', 'LC4202_C_ETHHUK11', 'LC4202_C_CARSNO',
];
export const ASSIGNED_HOUSEHOLD_COLUMNS = [...HOUSEHOLD_COLUMNS, 'HRPID', 'FILLED'];

const USAGE = `usage: node spenser-sim.js --lad <E|W|S|N + 8 digits> --out <dir> [--duration-ms 2000]
  [--fail-probability 0] [--fail-attempts 0] [--attempt 1] [--scale 1] [--vary <seed>]`;

/** Parsed command line. */
export interface SimOptions {
  lad: string;
  out: string;
  /** Total wall-clock time spread over the 8 steps, in milliseconds. */
  durationMs: number;
  /** Probability in [0, 1] that an attempt fails; drawn from a hash of (LAD, attempt, vary), so reproducible. */
  failProbability: number;
  /** Attempts 1..failAttempts always fail. */
  failAttempts: number;
  /** This attempt's number, from 1. */
  attempt: number;
  /** Multiplies every row count. */
  scale: number;
  /** When set, mixed into every generated value, so outputs differ from the default run. */
  vary?: string;
  /** When set, a folder to leave what ran in (the recipe's task passes `provenance`, which Batch uploads). */
  provenance?: string;
}

class UsageError extends Error {}

function numberOption(raw: string | undefined, name: string, fallback: number, check: (n: number) => boolean, rule: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || !check(value)) {
    throw new UsageError(`--${name} ${JSON.stringify(raw)} must be ${rule}`);
  }
  return value;
}

/** Parses and validates argv (without node and script); throws UsageError naming the bad option. */
export function parseSimArgs(argv: string[]): SimOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        lad: { type: 'string' },
        out: { type: 'string' },
        'duration-ms': { type: 'string' },
        'fail-probability': { type: 'string' },
        'fail-attempts': { type: 'string' },
        attempt: { type: 'string' },
        scale: { type: 'string' },
        vary: { type: 'string' },
        provenance: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const lad = values.lad;
  if (typeof lad !== 'string' || !LAD_CODE_PATTERN.test(lad)) {
    throw new UsageError(`--lad ${JSON.stringify(lad ?? null)} must match ${String(LAD_CODE_PATTERN)}`);
  }
  const out = values.out;
  if (typeof out !== 'string' || out.length === 0) throw new UsageError('--out <dir> is required');
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const isInt = Number.isInteger;
  return {
    lad,
    out,
    durationMs: numberOption(str('duration-ms'), 'duration-ms', 2000, (n) => isInt(n) && n >= 0, 'an integer >= 0'),
    failProbability: numberOption(str('fail-probability'), 'fail-probability', 0, (n) => n >= 0 && n <= 1, 'a number in [0, 1]'),
    failAttempts: numberOption(str('fail-attempts'), 'fail-attempts', 0, (n) => isInt(n) && n >= 0, 'an integer >= 0'),
    attempt: numberOption(str('attempt'), 'attempt', 1, (n) => isInt(n) && n >= 1, 'an integer >= 1'),
    scale: numberOption(str('scale'), 'scale', 1, (n) => n > 0 && n <= 1000, 'a number in (0, 1000]'),
    vary: str('vary'),
    provenance: str('provenance'),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Deterministic values: every value is a hash of (LAD seed, entity, field), so no state is carried between rows.

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** murmur3's finaliser over a chain of integers: a well-mixed uint32. */
function mix(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

const unit = (h: number): number => h / 0x100000000;
const pick = <T>(items: readonly T[], h: number): T => items[h % items.length];
/** Picks from `items` with integer `weights` (same length). */
function weighted<T>(items: readonly T[], weights: readonly number[], h: number): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = h % total;
  for (let i = 0; i < items.length; i++) {
    if (r < weights[i]) return items[i];
    r -= weights[i];
  }
  return items[items.length - 1];
}

// Field tags for `mix`, so different columns of one row draw independent values.
const F = { sex: 1, age: 2, eth: 3, ethMix: 4, area: 5, comm: 6, typ: 7, qs: 8, ten: 9, aht: 10, csize: 11, size: 12,
  beds: 13, rooms: 14, ppb: 15, heat: 16, nssec: 17, hheth: 18, cars: 19, order: 20, fail: 21, failStep: 22 };

const ETHNICITIES = [2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 14, 15, 16, 18, 19, 20, 22, 23];
const COMMUNAL_CELLS = [2, 3, 6, 9, 12, 15, 20, 22, 24, 27];

/** Everything about a LAD that row counts and area codes derive from. */
export interface LadModel {
  lad: string;
  seed: number;
  basePeople: number;
  baseHouseholds: number;
  /** Yearly growth rate of the population; households grow 0.1 point faster (smaller households). */
  growth: number;
  msoas: string[];
  oas: string[];
  oasPerMsoa: number;
}

// First code numbers of MSOAs (xx02) and OAs (xx00) by nation, and how many exist: keeps codes plausible.
const AREA_RANGES: Record<string, { msoa: [number, number]; oa: [number, number] }> = {
  E: { msoa: [1, 6791], oa: [1, 171372] },
  W: { msoa: [1, 410], oa: [1, 10000] },
  S: { msoa: [1236, 1279], oa: [88956, 46351] },
  N: { msoa: [1, 890], oa: [1, 4537] },
};

/** The LAD's row-count and area model: sizes vary with a hash of the LAD code (and `vary`), times `scale`. */
export function ladModel(lad: string, scale = 1, vary?: string): LadModel {
  const seed = vary === undefined ? fnv1a(lad) : mix(fnv1a(lad), fnv1a(vary));
  const basePeople = Math.max(1, Math.round(scale * (200 + (seed % 801))));
  const growth = 0.002 + (mix(seed, 1) % 8) / 1000;
  const msoaCount = 3 + (mix(seed, 2) % 8);
  const oasPerMsoa = 5;
  const range = AREA_RANGES[lad[0]];
  const msoaStart = range.msoa[0] + (mix(seed, 3) % (range.msoa[1] - msoaCount));
  const oaStart = range.oa[0] + (mix(seed, 4) % (range.oa[1] - msoaCount * oasPerMsoa));
  const code = (kind: string, n: number): string => `${lad[0]}${kind}${String(n).padStart(6, '0')}`;
  return {
    lad,
    seed,
    basePeople,
    baseHouseholds: Math.max(1, Math.round(basePeople / 2.45)),
    growth,
    msoas: Array.from({ length: msoaCount }, (_, i) => code('02', msoaStart + i)),
    oas: Array.from({ length: msoaCount * oasPerMsoa }, (_, i) => code('00', oaStart + i)),
    oasPerMsoa,
  };
}

export const peopleCount = (m: LadModel, year: number): number =>
  Math.round(m.basePeople * (1 + m.growth) ** (year - FIRST_YEAR));
export const householdCount = (m: LadModel, year: number): number =>
  Math.round(m.baseHouseholds * (1 + m.growth + 0.001) ** (year - FIRST_YEAR));

interface Person {
  pid: number;
  msoa: number;
  sex: number;
  age: number;
  eth: number;
}

/** Person `pid` in `year`: sex, ethnicity and area fixed for life; age advances a year per year (90 wraps to 0). */
function person(m: LadModel, pid: number, year: number): Person {
  const years = (mix(m.seed, pid, F.age) % 90) + (year - FIRST_YEAR);
  const eth = unit(mix(m.seed, pid, F.eth)) < 0.8 ? 2 : pick(ETHNICITIES, mix(m.seed, pid, F.ethMix));
  return { pid, msoa: mix(m.seed, pid, F.area) % m.msoas.length, sex: 1 + (mix(m.seed, pid, F.sex) % 2), age: years % 90, eth };
}

interface Household {
  hid: number;
  oa: number;
  communal: boolean;
  /** How many people it takes: its size code (4 stands for 4+), or CommunalSize. */
  capacity: number;
  cells: number[];
}

/** Household `hid` (a dwelling or communal establishment): fixed across years; -2 marks not applicable, -1 unknown. */
function household(m: LadModel, hid: number): Household {
  const h = (field: number): number => mix(m.seed, 1_000_000 + hid, field);
  const oa = h(F.area) % m.oas.length;
  if (unit(h(F.comm)) < 0.01) {
    const size = 5 + (h(F.csize) % 36);
    return { hid, oa, communal: true, capacity: size, cells: [-2, pick(COMMUNAL_CELLS, h(F.qs)), -2, -2, size, -2, -2, -2, -2, -2, -2, -2, -2] };
  }
  const size = weighted([1, 2, 3, 4], [30, 35, 16, 19], h(F.size));
  const beds = Math.min(4, Math.max(1, size - 1 + (h(F.beds) % 3)));
  const cells = [
    weighted([2, 3, 4, 5], [23, 31, 26, 20], h(F.typ)), // TYPACCOM
    -2, // QS420_CELL: not a communal establishment
    weighted([2, 3, 5, 6], [31, 33, 18, 18], h(F.ten)), // TENHUK11
    size === 1 ? 1 + (h(F.aht) % 2) : 3 + (h(F.aht) % 3), // AHTHUK11: one-person types 1-2, others 3-5
    -2, // CommunalSize
    size,
    Math.min(6, beds + 1 + (h(F.rooms) % 3)), // ROOMS
    beds,
    1 + (h(F.ppb) % 4), // PPBROOMHEW11
    unit(h(F.heat)) < 0.97 ? 2 : 1, // CENHEATHUK11
    unit(h(F.nssec)) < 0.01 ? -1 : 1 + (h(F.nssec) % 9), // NSSEC
    unit(h(F.hheth)) < 0.01 ? -1 : weighted([2, 3, 4, 5], [85, 6, 6, 3], h(F.hheth)), // ETHHUK11
    weighted([1, 2, 3], [26, 42, 32], h(F.cars)), // CARSNO
  ];
  return { hid, oa, communal: false, capacity: size, cells };
}

const csv = (header: string[], rows: string[]): string => `${header.join(',')}\n${rows.map((r) => `${r}\n`).join('')}`;
const personRow = (m: LadModel, p: Person): string =>
  `${p.pid},${m.msoas[p.msoa]},${p.sex},${Math.min(p.age, 85) + 1},${p.eth}`;
const householdRow = (m: LadModel, h: Household): string => `${h.hid},${m.oas[h.oa]},${h.cells.join(',')}`;

const peopleOf = (m: LadModel, year: number): Person[] =>
  Array.from({ length: peopleCount(m, year) }, (_, pid) => person(m, pid, year));
const householdsOf = (m: LadModel, year: number): Household[] =>
  Array.from({ length: householdCount(m, year) }, (_, hid) => household(m, hid));

/** `ssm_<LAD>_MSOA11_ppp_<year>.csv` content. */
export const peopleCsv = (m: LadModel, year: number): string =>
  csv(PEOPLE_COLUMNS, peopleOf(m, year).map((p) => personRow(m, p)));
/** `ssm_hh_<LAD>_OA11_<year>.csv` (and, for 2011, `hh_<LAD>_OA11_2011.csv`) content. */
export const householdsCsv = (m: LadModel, year: number): string =>
  csv(HOUSEHOLD_COLUMNS, householdsOf(m, year).map((h) => householdRow(m, h)));

/**
 * The assignment of `year`: each dwelling gets an adult (age >= 16) of its MSOA as reference person, then people fill
 * dwellings and communal establishments of their MSOA up to capacity; whoever is left stays unassigned (HID -1).
 */
export function assignedCsv(m: LadModel, year: number): { people: string; households: string } {
  const people = peopleOf(m, year);
  const households = householdsOf(m, year);
  const order = (ps: Person[]): Person[] =>
    ps.map((p) => ({ p, k: mix(m.seed, p.pid, year, F.order) })).sort((a, b) => a.k - b.k || a.p.pid - b.p.pid).map((x) => x.p);
  const byMsoa = <T>(items: T[], msoaOf: (t: T) => number): T[][] => {
    const groups: T[][] = m.msoas.map(() => []);
    for (const item of items) groups[msoaOf(item)].push(item);
    return groups;
  };
  const hidOf = new Array<number>(people.length).fill(-1);
  const hrpOf = new Array<number>(households.length).fill(-1);
  const occupancy = new Array<number>(households.length).fill(0);
  const householdsByMsoa = byMsoa(households, (h) => Math.floor(h.oa / m.oasPerMsoa));
  const peopleByMsoa = byMsoa(people, (p) => p.msoa).map(order);
  peopleByMsoa.forEach((pool, msoa) => {
    const adults = pool.filter((p) => p.age >= 16);
    const dwellings = householdsByMsoa[msoa].filter((h) => !h.communal);
    dwellings.forEach((h, i) => {
      if (i >= adults.length) return;
      hrpOf[h.hid] = adults[i].pid;
      hidOf[adults[i].pid] = h.hid;
      occupancy[h.hid] = 1;
    });
    let next = 0;
    const rooms = householdsByMsoa[msoa];
    for (const p of pool) {
      if (hidOf[p.pid] !== -1) continue;
      while (next < rooms.length && occupancy[rooms[next].hid] >= rooms[next].capacity) next++;
      if (next >= rooms.length) break;
      // A dwelling without a reference person stays empty: nobody to head it.
      if (!rooms[next].communal && hrpOf[rooms[next].hid] === -1) { next++; continue; }
      hidOf[p.pid] = rooms[next].hid;
      occupancy[rooms[next].hid]++;
    }
  });
  const filled = (h: Household): string => (occupancy[h.hid] >= h.capacity ? 'True' : 'False');
  return {
    people: csv(ASSIGNED_PEOPLE_COLUMNS, people.map((p) => `${personRow(m, p)},${hidOf[p.pid]}`)),
    households: csv(ASSIGNED_HOUSEHOLD_COLUMNS, households.map((h) => `${householdRow(m, h)},${hrpOf[h.hid]},${filled(h)}`)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The run: the 8 steps of design.md section 1, each writing the files the real step writes.

interface Step {
  command: string;
  files: (m: LadModel) => [string, string][];
}

function steps(lad: string): Step[] {
  const years = Array.from({ length: LAST_YEAR - FIRST_YEAR + 1 }, (_, i) => FIRST_YEAR + i);
  return [
    { command: `household_microsynth scripts/run_microsynth.py ${lad} OA11`, files: (m) => [[`hh_${lad}_OA11_2011.csv`, householdsCsv(m, 2011)]] },
    { command: `microsimulation scripts/run_ssm.py -c config/ssm_current.json ${lad}`, files: (m) => years.map((y) => [`ssm_${lad}_MSOA11_ppp_${y}.csv`, peopleCsv(m, y)]) },
    { command: `microsimulation scripts/run_ssm_h.py -c config/ssm_h_current.json ${lad}`, files: (m) => years.map((y) => [`ssm_hh_${lad}_OA11_${y}.csv`, householdsCsv(m, y)]) },
    ...ASSIGNMENT_YEARS.map((y) => ({
      command: `microsimulation scripts/run_assignment.py -c config/ass_current_${y}.json ${lad}`,
      files: (m: LadModel): [string, string][] => {
        const a = assignedCsv(m, y);
        return [[`ass_${lad}_MSOA11_${y}.csv`, a.people], [`ass_hh_${lad}_OA11_${y}.csv`, a.households]];
      },
    })),
  ];
}

const FAILURES = [
  (lad: string) => `  File "/mnt/batch/tasks/shared/spenser/household_microsynth/scripts/run_microsynth.py", line 61, in <module>\n    main(params)\n  File "/mnt/batch/tasks/shared/spenser/UKCensusAPI/ukcensusapi/Nomisweb.py", line 188, in get_data\n    raise HTTPError(response.url, response.status_code, "Service Unavailable", None, None)\nurllib.error.HTTPError: HTTP Error 503: Service Unavailable (NOMIS table LC4402EW for ${lad})`,
  (lad: string) => `  File "/mnt/batch/tasks/shared/spenser/microsimulation/scripts/run_ssm.py", line 42, in main\n    microsim.run()\n  File "/mnt/batch/tasks/shared/spenser/ukpopulation/ukpopulation/snppdata.py", line 97, in filter\n    raise ValueError("Cannot find projection data for " + str(missing))\nValueError: Cannot find projection data for ['${lad}']`,
  (lad: string) => `  File "/mnt/batch/tasks/shared/spenser/microsimulation/microsimulation/assignment.py", line 143, in run\n    self.__sample_hrp(msoa, oas)\n  File "/mnt/batch/tasks/shared/spenser/microsimulation/microsimulation/assignment.py", line 211, in __sample_hrp\n    raise RuntimeError("no adult available to be HRP in " + msoa)\nRuntimeError: no adult available to be HRP in ${lad}`,
];

/** Whether this attempt fails, and at which step (0-based): reproducible from (LAD, attempt, vary). */
export function plannedFailure(o: SimOptions): number | undefined {
  const seed = mix(fnv1a(o.lad), fnv1a(o.vary ?? ''), o.attempt);
  const fails = o.attempt <= o.failAttempts || (o.failProbability > 0 && unit(mix(seed, F.fail)) < o.failProbability);
  return fails ? mix(seed, F.failStep) % 8 : undefined;
}

/** Runs the simulation; resolves to the process exit code. */
export async function runSim(o: SimOptions): Promise<number> {
  const started = Date.now();
  const model = ladModel(o.lad, o.scale, o.vary);
  const plan = steps(o.lad);
  const failAt = plannedFailure(o);
  mkdirSync(o.out, { recursive: true });
  console.log(`spenser-sim: LAD ${o.lad} attempt ${o.attempt}, ${model.basePeople} people and ${model.baseHouseholds} households in 2011, scale ${o.scale}`);
  let written = 0;
  let bytes = 0;
  for (let i = 0; i < plan.length; i++) {
    console.log(`[${i + 1}/${plan.length}] ${plan[i].command}`);
    const deadline = started + Math.round((o.durationMs * (i + 1)) / plan.length);
    if (i === failAt) {
      await sleep(Math.max(0, deadline - Date.now()));
      const cause = i === 0 ? FAILURES[0] : i < 3 ? FAILURES[1] : FAILURES[2];
      console.error(`Traceback (most recent call last):\n${cause(o.lad)}`);
      console.error(`spenser-sim: simulated failure in step ${i + 1}/${plan.length} (attempt ${o.attempt}; fail-attempts ${o.failAttempts}, fail-probability ${o.failProbability})`);
      return 1;
    }
    for (const [name, content] of plan[i].files(model)) {
      // Write then rename, so a killed task never leaves a truncated file under a contract name.
      writeFileSync(join(o.out, `${name}.partial`), content);
      renameSync(join(o.out, `${name}.partial`), join(o.out, name));
      written++;
      bytes += Buffer.byteLength(content);
    }
    await sleep(Math.max(0, deadline - Date.now()));
  }
  // What ran, for the run's manifest (the same on every LAD of a run, so it is one entry there).
  if (o.provenance) {
    mkdirSync(o.provenance, { recursive: true });
    writeFileSync(join(o.provenance, 'spenser-sim.txt'), `recipe=spenser-sim\nnode=${process.version}\nscale=${o.scale}\n`);
  }
  console.log(`spenser-sim: wrote ${written} files (${bytes} bytes) to ${o.out} in ${Date.now() - started} ms`);
  return 0;
}

async function main(): Promise<void> {
  let options: SimOptions;
  try {
    options = parseSimArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`spenser-sim: ${err.message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  process.exitCode = await runSim(options);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`spenser-sim: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
