import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ASSIGNMENT_YEARS,
  LAD_CODE_PATTERN,
  LAD_FILE_COUNT,
  PROJECTION_YEARS,
  checkLadOutputs,
  collationTarget,
  expectedAssignedFiles,
  expectedLadFiles,
  finalCheck,
  finalCheckOfFolders,
  parseOutputFileName,
  regionOf,
} from '../../src/outputs/contract';

const LAD = 'E06000001';
const BAD_LADS = ['E0600001; rm -rf /', 'E0600001', 'E060000011', 'e06000001', 'X06000001', ' E06000001', 'E06000001\n', ''];
const listing = (names: string[], size = 100) => names.map((name) => ({ name, size }));

describe('output contract: file names', () => {
  it('lists the 69 files of design.md section 2 with the right counts per kind', () => {
    const names = expectedLadFiles(LAD);
    assert.equal(names.length, 69);
    assert.equal(LAD_FILE_COUNT, 69);
    assert.equal(new Set(names).size, 69);
    const count = (re: RegExp) => names.filter((n) => re.test(n)).length;
    assert.equal(count(/^hh_E06000001_OA11_2011\.csv$/), 1);
    assert.equal(count(/^ssm_E06000001_MSOA11_ppp_\d{4}\.csv$/), 29);
    assert.equal(count(/^ssm_hh_E06000001_OA11_\d{4}\.csv$/), 29);
    assert.equal(count(/^ass_E06000001_MSOA11_\d{4}\.csv$/), 5);
    assert.equal(count(/^ass_hh_E06000001_OA11_\d{4}\.csv$/), 5);
    assert.ok(names.includes('ssm_E06000001_MSOA11_ppp_2011.csv'));
    assert.ok(names.includes('ssm_hh_E06000001_OA11_2039.csv'));
    assert.ok(names.includes('ass_E06000001_MSOA11_2032.csv'));
    assert.ok(names.includes('ass_hh_E06000001_OA11_2022.csv'));
    assert.ok(!names.includes('ass_E06000001_MSOA11_2011.csv'));
  });

  it('has the years of the contract', () => {
    assert.deepEqual([...ASSIGNMENT_YEARS], [2012, 2020, 2022, 2032, 2039]);
    assert.equal(PROJECTION_YEARS.length, 29);
    assert.equal(PROJECTION_YEARS[0], 2011);
    assert.equal(PROJECTION_YEARS[28], 2039);
    assert.deepEqual(expectedAssignedFiles(LAD), expectedLadFiles(LAD).slice(59));
  });

  it('rejects malformed LAD codes, naming the value', () => {
    for (const bad of BAD_LADS) {
      assert.equal(LAD_CODE_PATTERN.test(bad), false, JSON.stringify(bad));
      assert.throws(() => expectedLadFiles(bad), (err: Error) => err instanceof RangeError && err.message.includes(JSON.stringify(bad)));
      assert.throws(() => regionOf(bad), RangeError);
    }
  });

  it('parses every contract name back to its kind, LAD and year', () => {
    const kinds = expectedLadFiles('S12000033').map((n) => parseOutputFileName(n));
    assert.ok(kinds.every((k) => k?.lad === 'S12000033'));
    assert.deepEqual(kinds[0], { kind: 'baseHouseholds', lad: 'S12000033', year: 2011 });
    assert.deepEqual(kinds[30], { kind: 'households', lad: 'S12000033', year: 2011 });
    assert.deepEqual(kinds[68], { kind: 'assignedHouseholds', lad: 'S12000033', year: 2039 });
    assert.equal(parseOutputFileName('stdout.txt'), undefined);
    assert.equal(parseOutputFileName('ass_E06000001_MSOA11_2012.csv.partial'), undefined);
  });
});

describe('checkLadOutputs', () => {
  it('accepts a complete listing', () => {
    assert.deepEqual(checkLadOutputs(LAD, listing(expectedLadFiles(LAD))), { ok: true, missing: [], unexpected: [], empty: [] });
  });

  it('reports missing, empty and unexpected files', () => {
    const names = expectedLadFiles(LAD);
    const files = listing(names.filter((n) => n !== 'ssm_E06000001_MSOA11_ppp_2020.csv' && n !== 'ass_hh_E06000001_OA11_2039.csv'));
    files.find((f) => f.name === 'hh_E06000001_OA11_2011.csv')!.size = 0;
    files.push({ name: 'stderr.txt', size: 10 }, { name: 'ass_E06000001_MSOA11_2013.csv', size: 5 });
    const result = checkLadOutputs(LAD, files);
    assert.equal(result.ok, false);
    assert.deepEqual(result.missing, ['ssm_E06000001_MSOA11_ppp_2020.csv', 'ass_hh_E06000001_OA11_2039.csv']);
    assert.deepEqual(result.empty, ['hh_E06000001_OA11_2011.csv']);
    assert.deepEqual(result.unexpected, ['ass_E06000001_MSOA11_2013.csv', 'stderr.txt']);
  });

  it('reports an empty listing as all 69 missing, and honours custom expectations', () => {
    assert.equal(checkLadOutputs(LAD, []).missing.length, 69);
    const custom = checkLadOutputs(LAD, listing(['a.csv', 'b.csv']), ['a.csv']);
    assert.deepEqual(custom, { ok: false, missing: [], unexpected: ['b.csv'], empty: [] });
  });
});

describe('collation', () => {
  it('maps assigned files to <region>/<year>/ by the first letter', () => {
    assert.equal(collationTarget('E06000001', 'ass_E06000001_MSOA11_2012.csv'), 'England/2012/ass_E06000001_MSOA11_2012.csv');
    assert.equal(collationTarget('W06000002', 'ass_hh_W06000002_OA11_2020.csv'), 'Wales/2020/ass_hh_W06000002_OA11_2020.csv');
    assert.equal(collationTarget('S12000033', 'ass_S12000033_MSOA11_2039.csv'), 'Scotland/2039/ass_S12000033_MSOA11_2039.csv');
    assert.equal(collationTarget('N09000001', 'ass_hh_N09000001_OA11_2022.csv'), 'NorthernIreland/2022/ass_hh_N09000001_OA11_2022.csv');
    assert.equal(collationTarget('E06000001', 'E06000001/ass_E06000001_MSOA11_2032.csv'), 'England/2032/ass_E06000001_MSOA11_2032.csv');
  });

  it('leaves every other file alone', () => {
    const targets = expectedLadFiles(LAD).map((n) => collationTarget(LAD, n));
    assert.equal(targets.filter((t) => t !== undefined).length, 10);
    assert.equal(collationTarget(LAD, 'ssm_E06000001_MSOA11_ppp_2012.csv'), undefined);
    assert.equal(collationTarget(LAD, 'ass_E06000002_MSOA11_2012.csv'), undefined, "another LAD's file");
    assert.equal(collationTarget(LAD, 'ass_E06000001_MSOA11_2013.csv'), undefined, 'not an assignment year');
    assert.equal(collationTarget(LAD, 'manifest.json'), undefined);
  });

  it('names regions by first letter', () => {
    assert.deepEqual(['E06000001', 'W06000001', 'S12000005', 'N09000003'].map(regionOf), ['England', 'Wales', 'Scotland', 'NorthernIreland']);
  });
});

describe('finalCheck', () => {
  const lads = ['E06000001', 'W06000002', 'S12000033'];
  const complete = () => new Map(lads.map((lad) => [lad, listing(expectedLadFiles(lad))]));

  it('passes when every LAD has its 10 non-empty assigned files (other files ignored)', () => {
    const result = finalCheck(lads, complete());
    assert.deepEqual(result, { ok: true, checkedLads: 3, problems: [] });
  });

  it('accepts collated paths', () => {
    const present = new Map(lads.map((lad) => [lad, expectedAssignedFiles(lad).map((n) => ({ name: collationTarget(lad, n)!, size: 1 }))]));
    assert.equal(finalCheck(lads, present).ok, true);
  });

  it('reports per LAD what is missing or empty, including a LAD with nothing', () => {
    const present = complete();
    present.delete('W06000002');
    present.get('S12000033')!.find((f) => f.name === 'ass_hh_S12000033_OA11_2022.csv')!.size = 0;
    present.set('E06000001', present.get('E06000001')!.filter((f) => f.name !== 'ass_E06000001_MSOA11_2039.csv'));
    const result = finalCheck([...lads, 'E06000001'], present);
    assert.equal(result.ok, false);
    assert.equal(result.checkedLads, 3);
    assert.deepEqual(result.problems, [
      { lad: 'E06000001', missing: ['ass_E06000001_MSOA11_2039.csv'], empty: [] },
      { lad: 'W06000002', missing: expectedAssignedFiles('W06000002'), empty: [] },
      { lad: 'S12000033', missing: [], empty: ['ass_hh_S12000033_OA11_2022.csv'] },
    ]);
  });
});

describe('finalCheckOfFolders (a recipe with files of its own)', () => {
  const expectedOf = (lad: string) => [`${lad}.csv`, 'logs/run.txt'];

  it("passes when each LAD's folder holds its files non-empty, by their path in the folder", () => {
    const present = new Map([['E06000001', listing(['E06000001.csv', 'logs/run.txt', 'extra.bin'])]]);
    assert.deepEqual(finalCheckOfFolders(['E06000001'], present, expectedOf), { ok: true, checkedLads: 1, problems: [] });
  });

  it('reports what is missing or empty, and does not take a file of another folder for it', () => {
    const present = new Map([
      ['E06000001', [...listing(['E06000001.csv']), { name: 'logs/run.txt', size: 0 }]],
      ['E06000002', listing(['run.txt', 'E06000001.csv'])],
    ]);
    assert.deepEqual(finalCheckOfFolders(['E06000001', 'E06000002'], present, expectedOf).problems, [
      { lad: 'E06000001', missing: [], empty: ['logs/run.txt'] },
      { lad: 'E06000002', missing: ['E06000002.csv', 'logs/run.txt'], empty: [] },
    ]);
  });
});
