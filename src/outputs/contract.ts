/**
 * The per-LAD output contract of design.md section 2, as pure functions: which files a successful LAD leaves in
 * storage, whether a listing satisfies that, where collation copies the assigned files, and the final check.
 *
 * Terminology:
 * - LAD: a Local Authority District code, a letter E, W, S or N then 8 digits (`E06000001`).
 * - projection years: 2011..2039, one people file and one household file each (the `ssm_*` files).
 * - assignment years: 2012, 2020, 2022, 2032, 2039, one assigned people and one assigned household file each
 *   (the `ass_*` files, the product researchers use).
 * - listing: the files found in a LAD's folder, names relative to that folder, with their sizes in bytes.
 *
 * No I/O here, so workflows, activities, the CLI and tests can all share it.
 */

/** Years with assigned people (`ass_`) and assigned households (`ass_hh_`) files. */
export const ASSIGNMENT_YEARS = [2012, 2020, 2022, 2032, 2039] as const;
/** One of {@link ASSIGNMENT_YEARS}. */
export type AssignmentYear = (typeof ASSIGNMENT_YEARS)[number];

/** First and last year of the static projections (`ssm_*` files), inclusive. */
export const FIRST_PROJECTION_YEAR = 2011;
export const LAST_PROJECTION_YEAR = 2039;
/** 2011..2039: years with a projected people file and a projected household file. */
export const PROJECTION_YEARS: readonly number[] = Object.freeze(
  Array.from({ length: LAST_PROJECTION_YEAR - FIRST_PROJECTION_YEAR + 1 }, (_, i) => FIRST_PROJECTION_YEAR + i),
);
/** The census base year of the household microsynthesis (`hh_<LAD>_OA11_2011.csv`). */
export const BASE_YEAR = 2011;

/** A LAD code: E, W, S or N then 8 digits. Anything else is invalid input, never text for a command line. */
export const LAD_CODE_PATTERN = /^[EWSN]\d{8}$/;

/** Number of files a successful LAD leaves: 1 + 29 + 29 + 5 + 5. */
export const LAD_FILE_COUNT = 1 + 2 * PROJECTION_YEARS.length + 2 * ASSIGNMENT_YEARS.length;

/** Region folder of collation, by the LAD code's first letter. */
export type Region = 'England' | 'Wales' | 'Scotland' | 'NorthernIreland';

/** Kinds of output file, named after what they hold. */
export type OutputKind = 'baseHouseholds' | 'people' | 'households' | 'assignedPeople' | 'assignedHouseholds';

/** A file in a listing: name relative to the LAD folder (or any path; see each function) and size in bytes. */
export interface ListedFile {
  name: string;
  size: number;
}

/** True when `lad` is a well-formed LAD code. */
export function isLadCode(lad: unknown): lad is string {
  return typeof lad === 'string' && LAD_CODE_PATTERN.test(lad);
}

/**
 * Throws a RangeError naming the value unless `lad` is a well-formed LAD code.
 * @param field the name used in the message, e.g. `ladCodes[3]`
 */
export function assertLadCode(lad: unknown, field = 'ladCode'): asserts lad is string {
  if (!isLadCode(lad)) {
    throw new RangeError(`${field} ${JSON.stringify(lad)} must match ${String(LAD_CODE_PATTERN)}`);
  }
}

/** The base-year household file name, e.g. `hh_E06000001_OA11_2011.csv`. */
export const baseHouseholdsFile = (lad: string): string => `hh_${lad}_OA11_${BASE_YEAR}.csv`;
/** A projected people file name, e.g. `ssm_E06000001_MSOA11_ppp_2011.csv`. */
export const peopleFile = (lad: string, year: number): string => `ssm_${lad}_MSOA11_ppp_${year}.csv`;
/** A projected household file name, e.g. `ssm_hh_E06000001_OA11_2011.csv`. */
export const householdsFile = (lad: string, year: number): string => `ssm_hh_${lad}_OA11_${year}.csv`;
/** An assigned people file name, e.g. `ass_E06000001_MSOA11_2012.csv`. */
export const assignedPeopleFile = (lad: string, year: number): string => `ass_${lad}_MSOA11_${year}.csv`;
/** An assigned household file name, e.g. `ass_hh_E06000001_OA11_2012.csv`. */
export const assignedHouseholdsFile = (lad: string, year: number): string => `ass_hh_${lad}_OA11_${year}.csv`;

/**
 * The 69 file names of a successful LAD (design.md section 2), relative to its folder, in a stable order:
 * base households, 29 people, 29 households, 5 assigned people, 5 assigned households.
 * @throws RangeError when `lad` is not a LAD code
 * @example expectedLadFiles('E06000001')[0] // 'hh_E06000001_OA11_2011.csv'
 */
export function expectedLadFiles(lad: string): string[] {
  assertLadCode(lad, 'lad');
  return [
    baseHouseholdsFile(lad),
    ...PROJECTION_YEARS.map((y) => peopleFile(lad, y)),
    ...PROJECTION_YEARS.map((y) => householdsFile(lad, y)),
    ...ASSIGNMENT_YEARS.map((y) => assignedPeopleFile(lad, y)),
    ...ASSIGNMENT_YEARS.map((y) => assignedHouseholdsFile(lad, y)),
  ];
}

/** The 10 assigned file names of a LAD (5 years x people and households), the ones collation and the final check use. */
export function expectedAssignedFiles(lad: string): string[] {
  assertLadCode(lad, 'lad');
  return [
    ...ASSIGNMENT_YEARS.map((y) => assignedPeopleFile(lad, y)),
    ...ASSIGNMENT_YEARS.map((y) => assignedHouseholdsFile(lad, y)),
  ];
}

/** What a contract file name says about itself. */
export interface OutputFileName {
  kind: OutputKind;
  lad: string;
  year: number;
}

// Order matters: `ass_hh_` must be tried before `ass_`, `ssm_hh_` before `ssm_`.
const FILE_NAME_PATTERNS: readonly [OutputKind, RegExp][] = [
  ['baseHouseholds', /^hh_([EWSN]\d{8})_OA11_(\d{4})\.csv$/],
  ['households', /^ssm_hh_([EWSN]\d{8})_OA11_(\d{4})\.csv$/],
  ['people', /^ssm_([EWSN]\d{8})_MSOA11_ppp_(\d{4})\.csv$/],
  ['assignedHouseholds', /^ass_hh_([EWSN]\d{8})_OA11_(\d{4})\.csv$/],
  ['assignedPeople', /^ass_([EWSN]\d{8})_MSOA11_(\d{4})\.csv$/],
];

/**
 * Parses a contract file name (a bare name; any folder prefix is ignored) into kind, LAD and year.
 * @returns undefined for a name that is not one of the contract's patterns
 */
export function parseOutputFileName(fileName: string): OutputFileName | undefined {
  const base = baseName(fileName);
  for (const [kind, pattern] of FILE_NAME_PATTERNS) {
    const match = pattern.exec(base);
    if (match) return { kind, lad: match[1], year: Number(match[2]) };
  }
  return undefined;
}

/**
 * The collation region of a LAD by its first letter (E England, W Wales, S Scotland, N NorthernIreland).
 * @throws RangeError when `lad` is not a LAD code
 */
export function regionOf(lad: string): Region {
  assertLadCode(lad, 'lad');
  switch (lad[0]) {
    case 'E':
      return 'England';
    case 'W':
      return 'Wales';
    case 'S':
      return 'Scotland';
    default:
      return 'NorthernIreland';
  }
}

/** Result of comparing a LAD's listing with its expected files. */
export interface LadOutputCheck {
  /** True when nothing is missing, unexpected or empty. */
  ok: boolean;
  /** Expected names absent from the listing, in expected order. */
  missing: string[];
  /** Listed names that are not expected, sorted. */
  unexpected: string[];
  /** Expected names present with size 0 (or a negative or non-finite size), in expected order. */
  empty: string[];
}

/**
 * Checks a LAD's listing against the contract.
 * @param lad the LAD code (only used for the default expectations)
 * @param listed files in the LAD folder, names relative to it (`ssm_...csv`, not `E06000001/ssm_...csv`)
 * @param expected the expected names; @default expectedLadFiles(lad)
 */
export function checkLadOutputs(
  lad: string,
  listed: readonly ListedFile[],
  expected: readonly string[] = expectedLadFiles(lad),
): LadOutputCheck {
  const sizes = new Map<string, number>();
  for (const file of listed) sizes.set(file.name, file.size);
  const expectedSet = new Set(expected);
  const missing = expected.filter((name) => !sizes.has(name));
  const empty = expected.filter((name) => sizes.has(name) && !isNonEmptySize(sizes.get(name)));
  const unexpected = [...sizes.keys()].filter((name) => !expectedSet.has(name)).sort();
  return { ok: missing.length === 0 && unexpected.length === 0 && empty.length === 0, missing, unexpected, empty };
}

/**
 * Where collation copies a LAD's file: `<region>/<year>/<fileName>` for its assigned files (`ass_*` of an
 * assignment year), undefined for every other file (including another LAD's).
 * @param fileName a name relative to the LAD folder; a folder prefix is ignored
 * @example collationTarget('W06000001', 'ass_hh_W06000001_OA11_2020.csv') // 'Wales/2020/ass_hh_W06000001_OA11_2020.csv'
 */
export function collationTarget(lad: string, fileName: string): string | undefined {
  const parsed = parseOutputFileName(fileName);
  if (!parsed || parsed.lad !== lad) return undefined;
  if (parsed.kind !== 'assignedPeople' && parsed.kind !== 'assignedHouseholds') return undefined;
  if (!(ASSIGNMENT_YEARS as readonly number[]).includes(parsed.year)) return undefined;
  return `${regionOf(lad)}/${parsed.year}/${baseName(fileName)}`;
}

/** One LAD's shortfall in the final check. */
export interface FinalCheckProblem {
  lad: string;
  /** Assigned file names absent. */
  missing: string[];
  /** Assigned file names present but empty. */
  empty: string[];
}

/** Result of the final check over a run. */
export interface FinalCheckResult {
  ok: boolean;
  /** LADs checked (the expected list, deduplicated). */
  checkedLads: number;
  /** One entry per LAD with a problem, in expected order. */
  problems: FinalCheckProblem[];
}

/**
 * The final check of design.md section 2: every expected LAD has its 5 years x 2 assigned files, all non-empty.
 * Extra files are ignored (a LAD folder also holds the 59 projection files).
 * @param expectedLads the LADs the run must deliver (e.g. the 2011 list, or the 2020 list after the merge)
 * @param present per LAD, the files found for it; names may carry a folder prefix (`England/2012/ass_...csv`)
 */
export function finalCheck(expectedLads: readonly string[], present: ReadonlyMap<string, readonly ListedFile[]>): FinalCheckResult {
  return checkEachLad(expectedLads, present, expectedAssignedFiles, baseName);
}

/**
 * The final check of a recipe with files of its own (`outputs.expectedFiles` a list): every expected LAD's folder
 * holds each of its expected files, non-empty. Nothing is collated for such a recipe, so its folders are its outputs.
 * @param present per LAD, the files of its folder, named relative to it
 * @param expectedOf the LAD's expected file names, relative to its folder
 */
export function finalCheckOfFolders(expectedLads: readonly string[], present: ReadonlyMap<string, readonly ListedFile[]>, expectedOf: (lad: string) => string[]): FinalCheckResult {
  return checkEachLad(expectedLads, present, expectedOf, (name) => name);
}

function checkEachLad(expectedLads: readonly string[], present: ReadonlyMap<string, readonly ListedFile[]>, expectedOf: (lad: string) => string[], keyOf: (name: string) => string): FinalCheckResult {
  const lads = [...new Set(expectedLads)];
  const problems: FinalCheckProblem[] = [];
  for (const lad of lads) {
    const sizes = new Map<string, number>();
    for (const file of present.get(lad) ?? []) sizes.set(keyOf(file.name), file.size);
    const expected = expectedOf(lad);
    const missing = expected.filter((name) => !sizes.has(name));
    const empty = expected.filter((name) => sizes.has(name) && !isNonEmptySize(sizes.get(name)));
    if (missing.length > 0 || empty.length > 0) problems.push({ lad, missing, empty });
  }
  return { ok: problems.length === 0, checkedLads: lads.length, problems };
}

function isNonEmptySize(size: number | undefined): boolean {
  return typeof size === 'number' && Number.isFinite(size) && size > 0;
}

function baseName(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? name : name.slice(slash + 1);
}
