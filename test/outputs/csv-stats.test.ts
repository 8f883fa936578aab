import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CsvCounter, describeLadOutputDiff, diffLadOutputs, isUnchanged, summariseCsv } from '../../src/outputs/csv-stats';
import { fileFacts, removeTempDirs, runSim, tempDir } from './helpers';

describe('summariseCsv', () => {
  it('counts data rows and reads the header', () => {
    assert.deepEqual(summariseCsv('PID,Area\n0,E02000001\n1,E02000002\n'), { rows: 2, columns: ['PID', 'Area'] });
    assert.deepEqual(summariseCsv('PID,Area\r\n0,E02000001\r\n1,E02000002'), { rows: 2, columns: ['PID', 'Area'] });
    assert.deepEqual(summariseCsv('\uFEFF"LAD20CD","LAD20NM"\n"E06000001","Hartlepool"\n'), { rows: 1, columns: ['LAD20CD', 'LAD20NM'] });
    assert.deepEqual(summariseCsv('PID,Area\n'), { rows: 0, columns: ['PID', 'Area'] });
    assert.deepEqual(summariseCsv('PID,Area'), { rows: 0, columns: ['PID', 'Area'] });
    assert.deepEqual(summariseCsv(''), { rows: 0, columns: [] });
  });

  it('gives the same answer chunk by chunk, whatever the chunk boundaries', () => {
    const text = 'Área,Größe\r\n1,2\n3,4\n5,6\n';
    const bytes = new TextEncoder().encode(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const counter = new CsvCounter();
      counter.push(bytes.subarray(0, cut));
      counter.push(bytes.subarray(cut));
      assert.deepEqual(counter.finish(), { rows: 3, columns: ['Área', 'Größe'] }, `cut at ${cut}`);
    }
    const byChar = new CsvCounter();
    for (const ch of text) byChar.push(ch);
    assert.deepEqual(byChar.finish(), summariseCsv(text));
  });
});

describe('diffLadOutputs on spenser-sim outputs', () => {
  const lad = 'E06000003';
  let first: string;
  let second: string;
  let varied: string;

  before(async () => {
    [first, second, varied] = [tempDir('diff-a'), tempDir('diff-b'), tempDir('diff-v')];
    const results = await Promise.all([
      runSim(['--lad', lad, '--out', first, '--duration-ms', '0']),
      runSim(['--lad', lad, '--out', second, '--duration-ms', '0']),
      runSim(['--lad', lad, '--out', varied, '--duration-ms', '0', '--vary', '2026-11-29']),
    ]);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
  });
  after(removeTempDirs);

  it('shows no change between two identical nights', () => {
    const diff = diffLadOutputs(fileFacts(first), fileFacts(second));
    assert.deepEqual(diff, { added: [], missing: [], changed: [], unchanged: 69 });
    assert.equal(isUnchanged(diff), true);
    assert.equal(describeLadOutputDiff(diff), 'no change (69 files)');
  });

  it('reports added, missing and changed files with size and row deltas', () => {
    const people = `ssm_${lad}_MSOA11_ppp_2020.csv`;
    const extraRow = '999999,E02000001,1,30,2\n';
    appendFileSync(path.join(second, people), extraRow);
    const households = `ssm_hh_${lad}_OA11_2011.csv`;
    const lines = readFileSync(path.join(second, households), 'utf8').split('\n');
    writeFileSync(path.join(second, households), `${lines.slice(0, -3).join('\n')}\n`);
    rmSync(path.join(second, `ass_${lad}_MSOA11_2039.csv`));
    renameSync(path.join(second, `hh_${lad}_OA11_2011.csv`), path.join(second, 'hh_renamed.csv'));

    const before = fileFacts(first);
    const diff = diffLadOutputs(before, fileFacts(second));
    assert.deepEqual(diff.added.map((f) => f.name), ['hh_renamed.csv']);
    assert.deepEqual(diff.missing.map((f) => f.name), [`ass_${lad}_MSOA11_2039.csv`, `hh_${lad}_OA11_2011.csv`]);
    assert.deepEqual(diff.changed.map((c) => [c.name, c.sizeDelta, c.rowsDelta]), [
      [people, extraRow.length, 1],
      [households, -(before.find((f) => f.name === households)!.size - Buffer.byteLength(`${lines.slice(0, -3).join('\n')}\n`)), -2],
    ]);
    assert.equal(diff.unchanged, 65);
    assert.equal(isUnchanged(diff), false);
    assert.match(describeLadOutputDiff(diff), /^2 changed \(rows -1, bytes -?\d+\), 1 added, 2 missing, 65 unchanged$/);
  });

  it('sees every file change when the inputs vary, with row deltas where rows are known', () => {
    const withoutRows = fileFacts(varied).map(({ name, size, md5 }) => ({ name, size, md5 }));
    const diff = diffLadOutputs(fileFacts(first), withoutRows);
    assert.equal(diff.changed.length, 69);
    assert.ok(diff.changed.every((c) => c.rowsDelta === undefined));
    assert.match(describeLadOutputDiff(diff), /^69 changed \(bytes [+-]?\d+\), 0 unchanged$/);
    const withRows = diffLadOutputs(fileFacts(first), fileFacts(varied));
    assert.ok(withRows.changed.some((c) => c.rowsDelta !== 0), 'row counts differ under --vary');
  });

  it('rejects a listing that names a file twice', () => {
    const facts = fileFacts(first);
    assert.throws(() => diffLadOutputs(facts, [...facts, facts[0]]), /current: file ".*" is listed twice/);
  });
});
