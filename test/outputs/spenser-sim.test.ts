import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ASSIGNMENT_YEARS, PROJECTION_YEARS, expectedLadFiles } from '../../src/outputs/contract';
import { fileFacts, readCsv, removeTempDirs, runSim, simScript, tempDir, type ProcessResult } from './helpers';

// Columns copied from design.md section 2 on purpose (not imported from the simulator), so this checks the contract.
const PEOPLE = ['PID', 'Area', 'DC1117EW_C_SEX', 'DC1117EW_C_AGE', 'DC2101EW_C_ETHPUK11'];
const HOUSEHOLDS = ['HID', 'Area', 'LC4402_C_TYPACCOM', 'QS420_CELL', 'LC4402_C_TENHUK11', 'LC4408_C_AHTHUK11', 'CommunalSize',
  'LC4404_C_SIZHUK11', 'LC4404_C_ROOMS', 'LC4405EW_C_BEDROOMS', 'LC4408EW_C_PPBROOMHEW11', 'LC4402_C_CENHEATHUK11',
  'LC4605_C_NSSEC', 'LC4202_C_ETHHUK11', 'LC4202_C_CARSNO'];
const STEPS = [
  'household_microsynth scripts/run_microsynth.py E06000001 OA11',
  'microsimulation scripts/run_ssm.py -c config/ssm_current.json E06000001',
  'microsimulation scripts/run_ssm_h.py -c config/ssm_h_current.json E06000001',
  ...ASSIGNMENT_YEARS.map((y) => `microsimulation scripts/run_assignment.py -c config/ass_current_${y}.json E06000001`),
];

const uniqueNonNegative = (values: string[]): boolean =>
  values.every((v) => /^\d+$/.test(v)) && new Set(values.map(Number)).size === values.length;

/** Checks one year's assigned files against design.md section 2; returns counts for further assertions. */
function checkAssignedYear(dir: string, lad: string, year: number): { unassigned: number; noHrp: number } {
  const people = readCsv(path.join(dir, `ass_${lad}_MSOA11_${year}.csv`));
  const households = readCsv(path.join(dir, `ass_hh_${lad}_OA11_${year}.csv`));
  const projected = readCsv(path.join(dir, `ssm_${lad}_MSOA11_ppp_${year}.csv`));
  assert.deepEqual(people.header, [...PEOPLE, 'HID']);
  assert.deepEqual(households.header, [...HOUSEHOLDS, 'HRPID', 'FILLED']);
  for (const table of [people, households]) {
    assert.ok(table.rows.every((r) => r.length === table.header.length && r.every((c) => c !== '')), `${year}: ragged or empty cells`);
  }
  assert.ok(uniqueNonNegative(people.rows.map((r) => r[0])), `${year}: PID unique >= 0`);
  assert.ok(uniqueNonNegative(households.rows.map((r) => r[0])), `${year}: HID unique >= 0`);
  const hids = new Set(households.rows.map((r) => r[0]));
  const pids = new Set(people.rows.map((r) => r[0]));
  const hidRefs = people.rows.map((r) => r[5]);
  assert.ok(hidRefs.every((h) => h === '-1' || hids.has(h)), `${year}: HID refs`);
  const hrps = households.rows.map((r) => r[15]).filter((h) => h !== '-1');
  assert.ok(hrps.every((h) => pids.has(h)), `${year}: HRPID refs`);
  assert.equal(new Set(hrps).size, hrps.length, `${year}: HRPID unique`);
  // The reference person lives in the household they head.
  const hidOfPerson = new Map(people.rows.map((r) => [r[0], r[5]]));
  assert.ok(households.rows.every((r) => r[15] === '-1' || hidOfPerson.get(r[15]) === r[0]), `${year}: HRP lives there`);
  assert.ok(households.rows.every((r) => r[16] === 'True' || r[16] === 'False'), `${year}: FILLED`);
  // The assigned people are the projected people of that year plus their HID.
  assert.deepEqual(people.rows.map((r) => r.slice(0, 5)), projected.rows);
  return { unassigned: hidRefs.filter((h) => h === '-1').length, noHrp: households.rows.length - hrps.length };
}

function checkCategories(dir: string, lad: string): void {
  const letter = lad[0];
  const ethnicities = new Set([2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 14, 15, 16, 18, 19, 20, 22, 23]);
  for (const year of PROJECTION_YEARS) {
    const people = readCsv(path.join(dir, `ssm_${lad}_MSOA11_ppp_${year}.csv`));
    assert.deepEqual(people.header, PEOPLE);
    assert.ok(uniqueNonNegative(people.rows.map((r) => r[0])));
    for (const [, area, sex, age, eth] of people.rows) {
      assert.match(area, new RegExp(`^${letter}02\\d{6}$`));
      assert.ok(['1', '2'].includes(sex) && Number(age) >= 1 && Number(age) <= 86 && ethnicities.has(Number(eth)), `${year}: ${sex},${age},${eth}`);
    }
    for (const file of [`ssm_hh_${lad}_OA11_${year}.csv`, ...(year === 2011 ? [`hh_${lad}_OA11_2011.csv`] : [])]) {
      const households = readCsv(path.join(dir, file));
      assert.deepEqual(households.header, HOUSEHOLDS, file);
      assert.ok(uniqueNonNegative(households.rows.map((r) => r[0])), file);
      for (const row of households.rows) {
        assert.match(row[1], new RegExp(`^${letter}00\\d{6}$`));
        assert.ok(row.slice(2).every((c) => /^-?\d+$/.test(c) && Number(c) >= -2 && Number(c) <= 40), `${file}: ${row.join(',')}`);
      }
    }
  }
}

describe('spenser-sim (the compiled standalone script, run with node)', () => {
  const dirs: Record<string, string> = {};
  const results: Record<string, ProcessResult> = {};
  const sim = async (key: string, args: string[]) => {
    dirs[key] = tempDir(key);
    results[key] = await runSim([...args, '--out', dirs[key]]);
  };

  before(async () => {
    await Promise.all([
      sim('first', ['--lad', 'E06000001', '--duration-ms', '400']),
      sim('again', ['--lad', 'E06000001', '--duration-ms', '0']),
      sim('wales', ['--lad', 'W06000002', '--duration-ms', '0']),
    ]);
    await Promise.all([
      sim('varied', ['--lad', 'E06000001', '--duration-ms', '0', '--vary', 'night-2']),
      sim('scaled', ['--lad', 'E06000001', '--duration-ms', '0', '--scale', '2']),
      sim('largest', ['--lad', 'E08000006', '--duration-ms', '0']),
    ]);
  });
  after(removeTempDirs);

  it('imports only node: modules, so it can run alone on a Batch node', () => {
    const source = readFileSync(simScript, 'utf8');
    const requires = [...source.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    assert.ok(requires.length > 0);
    assert.deepEqual(requires.filter((r) => !r.startsWith('node:')), []);
  });

  it('writes exactly the 69 contract files and prints the pipeline steps in order', () => {
    assert.equal(results.first.code, 0, results.first.stderr);
    assert.deepEqual(readdirSync(dirs.first).sort(), expectedLadFiles('E06000001').sort());
    const stepLines = results.first.stdout.split('\n').filter((l) => /^\[\d\/8\] /.test(l)).map((l) => l.slice(6));
    assert.deepEqual(stepLines, STEPS);
    assert.ok(results.first.ms >= 400, `took ${results.first.ms} ms for --duration-ms 400`);
  });

  it('writes the exact columns and plausible census codes and area codes', () => {
    checkCategories(dirs.first, 'E06000001');
    checkCategories(dirs.wales, 'W06000002');
  });

  it('keeps identifiers and references consistent in every assignment year', () => {
    let unassigned = 0;
    for (const year of ASSIGNMENT_YEARS) unassigned += checkAssignedYear(dirs.first, 'E06000001', year).unassigned;
    for (const year of ASSIGNMENT_YEARS) checkAssignedYear(dirs.wales, 'W06000002', year);
    assert.ok(unassigned > 0, 'some people are in no household (HID -1), as in real outputs');
  });

  it('is deterministic for the same LAD and arguments, and varies with --vary', () => {
    assert.deepEqual(fileFacts(dirs.again), fileFacts(dirs.first));
    const varied = fileFacts(dirs.varied);
    assert.equal(varied.length, 69);
    const first = new Map(fileFacts(dirs.first).map((f) => [f.name, f.md5]));
    assert.ok(varied.every((f) => f.md5 !== first.get(f.name)), 'every file differs under --vary');
    for (const year of ASSIGNMENT_YEARS) checkAssignedYear(dirs.varied, 'E06000001', year);
  });

  it('varies row counts by LAD, grows them slowly by year, and scales them', () => {
    const rows = (dir: string, name: string) => readCsv(path.join(dir, name)).rows.length;
    const e2011 = rows(dirs.first, 'ssm_E06000001_MSOA11_ppp_2011.csv');
    const w2011 = rows(dirs.wales, 'ssm_W06000002_MSOA11_ppp_2011.csv');
    assert.notEqual(e2011, w2011);
    const series = PROJECTION_YEARS.map((y) => rows(dirs.first, `ssm_E06000001_MSOA11_ppp_${y}.csv`));
    const households = PROJECTION_YEARS.map((y) => rows(dirs.first, `ssm_hh_E06000001_OA11_${y}.csv`));
    for (const s of [series, households]) {
      assert.ok(s.every((n, i) => i === 0 || n >= s[i - 1]), 'never shrinks');
      assert.ok(s[28] > s[0] && s[28] < s[0] * 1.4, `grows slowly: ${s[0]} -> ${s[28]}`);
    }
    assert.ok(e2011 >= 200 && e2011 <= 5000 && households[0] >= 50, `a few hundred to a few thousand rows (${e2011}, ${households[0]})`);
    const scaled = rows(dirs.scaled, 'ssm_E06000001_MSOA11_ppp_2011.csv');
    assert.ok(Math.abs(scaled - 2 * e2011) <= 2, `--scale 2: ${scaled} vs ${e2011}`);
  });

  it('keeps the largest default LAD under 2 MB', () => {
    assert.equal(results.largest.code, 0, results.largest.stderr);
    const bytes = fileFacts(dirs.largest).reduce((sum, f) => sum + f.size, 0);
    assert.ok(bytes < 2_000_000, `${bytes} bytes`);
  });

  it('fails attempts up to --fail-attempts with a traceback and exit 1, then succeeds', async () => {
    const out = tempDir('fail');
    const failed = await runSim(['--lad', 'E06000001', '--out', out, '--duration-ms', '0', '--fail-attempts', '2', '--attempt', '2']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^Traceback \(most recent call last\):/m);
    assert.match(failed.stderr, /simulated failure in step \d\/8 \(attempt 2; fail-attempts 2/);
    assert.ok(readdirSync(out).length < 69, 'a failed attempt never leaves the whole contract');
    const third = await runSim(['--lad', 'E06000001', '--out', tempDir('third'), '--duration-ms', '0', '--fail-attempts', '2', '--attempt', '3']);
    assert.equal(third.code, 0, third.stderr);
  });

  it('fails always with --fail-probability 1, never with 0, reproducibly in between', async () => {
    const args = (p: string, attempt: number) => ['--lad', 'E06000002', '--out', tempDir('p'), '--duration-ms', '0', '--fail-probability', p, '--attempt', String(attempt)];
    const [always, never, half1, half2] = await Promise.all([runSim(args('1', 1)), runSim(args('0', 1)), runSim(args('0.5', 3)), runSim(args('0.5', 3))]);
    assert.equal(always.code, 1);
    assert.equal(never.code, 0);
    assert.equal(half1.code, half2.code);
  });

  it('rejects a bad LAD code and bad options with exit 2 before writing anything', async () => {
    const cases = [
      ['--lad', 'E0600001; rm -rf /'],
      ['--lad', 'e06000001'],
      ['--lad', 'E06000001', '--attempt', '0'],
      ['--lad', 'E06000001', '--fail-probability', '1.5'],
      ['--lad', 'E06000001', '--duration-ms', '-1'],
      ['--lad', 'E06000001', '--scale', '0'],
      ['--lad', 'E06000001', '--duration-ms', 'soon'],
      ['--lad', 'E06000001', '--colour', 'blue'],
    ];
    for (const args of cases) {
      const out = path.join(tempDir('bad'), 'out');
      const result = await runSim([...args, '--out', out]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^spenser-sim: /);
      assert.equal(existsSync(out), false);
    }
    const bad = await runSim(['--lad', 'E0600001; rm -rf /', '--out', tempDir('bad')]);
    assert.match(bad.stderr, /--lad "E0600001; rm -rf \/" must match/);
    const noOut = await runSim(['--lad', 'E06000001']);
    assert.equal(noOut.code, 2);
    assert.match(noOut.stderr, /--out <dir> is required/);
  });
});
