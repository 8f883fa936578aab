import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCsvRecords } from '../../src/outputs/csv';
import { parseLadList } from '../../src/outputs/lad-lists';

describe('parseCsvRecords: RFC 4180 CSV with a header row', () => {
  it('reads quoted fields holding commas and doubled quotes', () => {
    assert.deepEqual(parseCsvRecords('code,name\nE06000001,"Hartlepool, Borough of"\nE06000002,"the ""Boro"""\n'), [
      { code: 'E06000001', name: 'Hartlepool, Borough of' },
      { code: 'E06000002', name: 'the "Boro"' },
    ]);
  });

  it('keeps a line break inside quotes in its field, instead of starting a new record', () => {
    assert.deepEqual(parseCsvRecords('code,name\n"E06000001","Hartle\npool"\n"E06000002",Middlesbrough\n'), [
      { code: 'E06000001', name: 'Hartle\npool' },
      { code: 'E06000002', name: 'Middlesbrough' },
    ]);
  });

  it('accepts CRLF line ends, inside quotes too, and no final line end', () => {
    assert.deepEqual(parseCsvRecords('code,name\r\nE06000001,"Hartle\r\npool"\r\nE06000002,Middlesbrough'), [
      { code: 'E06000001', name: 'Hartle\r\npool' },
      { code: 'E06000002', name: 'Middlesbrough' },
    ]);
  });

  it('ignores a UTF-8 BOM before the header', () => {
    const [record] = parseCsvRecords('\uFEFF"LAD20CD","LAD20NM"\r\n"E06000001","Hartlepool"\r\n');
    assert.deepEqual(Object.keys(record), ['LAD20CD', 'LAD20NM']);
    assert.equal(record.LAD20CD, 'E06000001');
  });

  it('trims cells, skips blank rows, gives a short row empty cells, and reads nothing from empty text', () => {
    assert.deepEqual(parseCsvRecords(' code , name \n\n  \n E06000001 \n'), [{ code: 'E06000001', name: '' }]);
    assert.deepEqual(parseCsvRecords(''), []);
  });

  it('rejects text that is not CSV with a RangeError naming the line', () => {
    assert.throws(() => parseCsvRecords('code,name\nE06000001,"Hartlepool\n'), (err: unknown) => err instanceof RangeError && /not valid CSV: .*line 2/i.test(err.message));
  });
});

describe('parseLadList over quoted CSV', () => {
  it('reads codes from a list whose names hold quoted commas and line breaks, with CRLF and a BOM', () => {
    const csv = '\uFEFF"LAD20CD","LAD20NM"\r\n"E06000001","Hartlepool"\r\n"W06000001","Isle of\r\nAnglesey, Ynys Môn"\r\n"S12000033","Aberdeen City"\r\n';
    assert.deepEqual(parseLadList(csv, 'lads.csv'), ['E06000001', 'W06000001', 'S12000033']);
  });

  it('names the source when the text is not CSV', () => {
    assert.throws(() => parseLadList('LAD20CD\n"E06000001\n', 'lads.csv'), /^RangeError: lads\.csv: not valid CSV/);
  });
});
