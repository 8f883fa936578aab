import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ASSIGNMENT_YEARS, assignedHouseholdsFile, assignedPeopleFile } from '../../src/outputs/contract';
import { parseLadList } from '../../src/outputs/lad-lists';
import { checkAssignedYear, mergeAssignedYear, parseLadMapping, planMerge2020, type AssignedYearFiles } from '../../src/outputs/merge-2020';
import { ladData, removeTempDirs, runSim, tempDir } from './helpers';

const rowsOf = (text: string): string[][] => text.trimEnd().split('\n').slice(1).map((l) => l.split(','));
const headerOf = (text: string): string => text.slice(0, text.indexOf('\n'));

describe('the 2011-to-2020 LAD mapping', () => {
  const mapping = parseLadMapping(ladData('old_to_new_mapping.csv'));
  const oldLads = parseLadList(ladData('spenser_lad_list.csv'), 'spenser_lad_list.csv');
  const newLads = ['England', 'Wales', 'Scotland'].flatMap((n) => parseLadList(ladData(`new_lad_list_${n}.csv`), n));

  it('reads old_to_new_mapping.csv (CRLF, quoted names with commas) into new -> old codes', () => {
    assert.equal(mapping.size, 31);
    assert.deepEqual(mapping.get('E06000058'), ['E06000028', 'E07000048', 'E06000029']);
    assert.deepEqual(mapping.get('E06000059'), ['E07000053', 'E07000052', 'E07000050', 'E07000051', 'E07000049']);
    assert.deepEqual(mapping.get('E07000112'), ['E07000112']);
    assert.deepEqual(mapping.get('E06000060'), ['E07000004', 'E07000005', 'E07000006', 'E07000007']);
  });

  it('plans every 2020 LAD from the 2011-based list, using each old LAD exactly once', () => {
    assert.equal(oldLads.length, 380);
    assert.equal(newLads.length, 368);
    const plan = planMerge2020(newLads, oldLads, mapping);
    assert.equal(plan.length, 368);
    const used = plan.flatMap((p) => p.sources).sort();
    assert.deepEqual(used, [...oldLads].sort());
    const merged = plan.filter((p) => p.kind === 'merged');
    assert.deepEqual(merged.map((p) => p.lad).sort(), ['E06000058', 'E06000059', 'E06000060', 'E07000244', 'E07000245', 'E07000246']);
    assert.deepEqual(plan.filter((p) => p.kind === 'renamed').map((p) => `${p.sources[0]}->${p.lad}`).sort(),
      ['S12000015->S12000047', 'S12000024->S12000048', 'S12000044->S12000050', 'S12000046->S12000049']);
    assert.equal(plan.filter((p) => p.kind === 'same').length, 358);
  });

  it('rejects a 2020 LAD nothing maps to, an old LAD used twice, and a malformed mapping', () => {
    assert.throws(() => planMerge2020(['E06000099'], oldLads, mapping), /"E06000099" is not in the old list/);
    assert.throws(() => planMerge2020(['E06000001', 'E06000099'], ['E06000001'], new Map([['E06000099', ['E06000001']]])), /would feed both/);
    assert.throws(() => parseLadMapping('Old name,New name,Old code,Updated code\nA,B,E0700001,E06000001\n'), /mapping line 2 "Old code" "E0700001"/);
  });
});

describe('mergeAssignedYear on spenser-sim outputs of Bournemouth, Christchurch and Poole', () => {
  const sources = ['E06000028', 'E07000048', 'E06000029'];
  const dirs = new Map<string, string>();
  const filesOf = (lad: string, year: number): AssignedYearFiles => ({
    people: readFileSync(path.join(dirs.get(lad)!, assignedPeopleFile(lad, year)), 'utf8'),
    households: readFileSync(path.join(dirs.get(lad)!, assignedHouseholdsFile(lad, year)), 'utf8'),
  });

  before(async () => {
    await Promise.all(sources.map(async (lad) => {
      const dir = tempDir(lad);
      dirs.set(lad, dir);
      const result = await runSim(['--lad', lad, '--out', dir, '--duration-ms', '0']);
      assert.equal(result.code, 0, result.stderr);
    }));
  });
  after(removeTempDirs);

  it('keeps every invariant of design.md section 2 in every year', () => {
    for (const year of ASSIGNMENT_YEARS) {
      const parts = sources.map((lad) => filesOf(lad, year));
      const merged = mergeAssignedYear(parts);
      const people = rowsOf(merged.people);
      const households = rowsOf(merged.households);
      // Rows are the sum, columns the same, no empty cell.
      assert.equal(people.length, parts.reduce((n, p) => n + rowsOf(p.people).length, 0));
      assert.equal(households.length, parts.reduce((n, p) => n + rowsOf(p.households).length, 0));
      assert.equal(headerOf(merged.people), headerOf(parts[0].people));
      assert.equal(headerOf(merged.households), headerOf(parts[0].households));
      assert.ok([...people, ...households].every((r) => r.every((c) => c !== '')));
      // PID and HID unique and >= 0 (dense: 0..n-1).
      assert.deepEqual(people.map((r) => Number(r[0])), people.map((_, i) => i));
      assert.deepEqual(households.map((r) => Number(r[0])), households.map((_, i) => i));
      // References point at renumbered rows; HRPID >= -1 and unique where not -1.
      const hrps = households.map((r) => Number(r[15]));
      assert.ok(hrps.every((h) => h >= -1 && h < people.length));
      assert.equal(new Set(hrps.filter((h) => h !== -1)).size, hrps.filter((h) => h !== -1).length);
      assert.ok(people.every((r) => Number(r[5]) >= -1 && Number(r[5]) < households.length));
      assert.deepEqual(checkAssignedYear(merged), [], `year ${year}`);
      // -1 stays -1: as many unassigned people and households without HRP as in the parts together.
      const count = (rows: string[][], col: number) => rows.filter((r) => r[col] === '-1').length;
      assert.equal(count(people, 5), parts.reduce((n, p) => n + count(rowsOf(p.people), 5), 0));
      assert.equal(count(households, 15), parts.reduce((n, p) => n + count(rowsOf(p.households), 15), 0));
    }
  });

  it('renumbers each part after the previous ones and keeps every other cell as it was', () => {
    const parts = sources.map((lad) => filesOf(lad, 2020));
    const merged = mergeAssignedYear(parts);
    const people = rowsOf(merged.people);
    const households = rowsOf(merged.households);
    let pidBase = 0;
    let hidBase = 0;
    for (const part of parts) {
      const partPeople = rowsOf(part.people);
      const partHouseholds = rowsOf(part.households);
      partPeople.forEach((row, i) => {
        const out = people[pidBase + i];
        assert.deepEqual(out.slice(1, 5), row.slice(1, 5));
        // spenser-sim's ids are 0..n-1 in row order, so the new id is the old one plus the rows before this part.
        assert.equal(Number(out[0]), pidBase + Number(row[0]));
        assert.equal(out[5], row[5] === '-1' ? '-1' : String(hidBase + Number(row[5])));
      });
      partHouseholds.forEach((row, i) => {
        const out = households[hidBase + i];
        assert.deepEqual([...out.slice(1, 15), out[16]], [...row.slice(1, 15), row[16]]);
        assert.equal(out[15], row[15] === '-1' ? '-1' : String(pidBase + Number(row[15])));
      });
      pidBase += partPeople.length;
      hidBase += partHouseholds.length;
    }
    assert.ok(pidBase > 0 && people.length === pidBase);
  });

  it('leaves a single-source (renamed) LAD unchanged', () => {
    const one = filesOf('E06000028', 2032);
    assert.deepEqual(mergeAssignedYear([one]), one);
  });
});

describe('mergeAssignedYear on hand-made input', () => {
  const P = 'PID,Area,DC1117EW_C_SEX,DC1117EW_C_AGE,DC2101EW_C_ETHPUK11,HID';
  const H = 'HID,Area,HRPID,FILLED';

  it('maps sparse, unordered ids and their references through the new numbers', () => {
    const a = { people: `${P}\n10,E02000001,1,40,2,7\n5,E02000001,2,38,2,7\n3,E02000001,1,9,2,-1\n`, households: `${H}\n7,E00000001,5,True\n2,E00000002,-1,False\n` };
    const b = { people: `${P}\r\n0,E02000002,2,70,2,0\r\n`, households: `${H}\r\n0,E00000003,0,False` };
    const merged = mergeAssignedYear([a, b]);
    assert.equal(merged.people, `${P}\n0,E02000001,1,40,2,0\n1,E02000001,2,38,2,0\n2,E02000001,1,9,2,-1\n3,E02000002,2,70,2,2\n`);
    assert.equal(merged.households, `${H}\n0,E00000001,1,True\n1,E00000002,-1,False\n2,E00000003,3,False\n`);
    assert.deepEqual(checkAssignedYear(merged), []);
  });

  it('rejects broken parts, naming part, file and line', () => {
    const ok = { people: `${P}\n0,E02000001,1,40,2,0\n`, households: `${H}\n0,E00000001,0,True\n` };
    assert.throws(() => mergeAssignedYear([]), RangeError);
    assert.throws(() => mergeAssignedYear([ok, { ...ok, households: `HID,Area,HRPID,FILLED,EXTRA\n0,E00000001,0,True,1\n` }]), /part 1 households: columns differ/);
    assert.throws(() => mergeAssignedYear([ok, { ...ok, people: `${P}\n0,E02000001,1,40,2,9\n` }]), /part 1 people line 2: HID 9 points at no row/);
    assert.throws(() => mergeAssignedYear([{ ...ok, people: `${P}\n0,E02000001,1,40,2,0\n0,E02000001,1,41,2,0\n` }]), /part 0 people line 3: PID 0 repeats/);
    assert.throws(() => mergeAssignedYear([{ ...ok, people: `${P}\n0,,1,40,2,0\n` }]), /part 0 people line 2: empty Area/);
    assert.throws(() => mergeAssignedYear([{ ...ok, households: `${H}\n-3,E00000001,0,True\n` }]), /HID "-3" must be an integer >= 0/);
    assert.throws(() => mergeAssignedYear([{ ...ok, households: `${H}\n0,E00000001,-2,True\n` }]), /HRPID "-2" must be -1/);
  });

  it('checkAssignedYear reports a household reference person heading two households', () => {
    const problems = checkAssignedYear({ people: `${P}\n0,E02000001,1,40,2,0\n`, households: `${H}\n0,E00000001,0,True\n1,E00000001,0,True\n` });
    assert.deepEqual(problems, ['households line 3: HRPID 0 heads two households']);
  });
});
