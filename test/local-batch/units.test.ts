import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringsToSign } from '../../src/local-batch/http/auth';
import { splitCommandLine } from '../../src/local-batch/execution/executor';
import { globToRegex } from '../../src/local-batch/execution/glob';
import { POOL_FILTER, TASK_FILE_FILTER, TASK_FILTER } from '../../src/local-batch/query/filter-properties';
import { parseFilter } from '../../src/local-batch/query/odata-filter';
import { isoTime, parseDuration, UNLIMITED, UNLIMITED_MS } from '../../src/local-batch/http/wire';

describe('local Batch building blocks', () => {
  it('builds the string-to-sign of the Microsoft docs example exactly', () => {
    const candidates = stringsToSign('myaccount', {
      method: 'GET',
      rawPath: '/jobs',
      rawQuery: 'api-version=2014-01-01.1.0&timeout=20',
      headers: { 'ocp-date': 'Tue, 29 Jul 2014 21:49:13 GMT' },
      bodyLength: 0,
    });
    assert.ok(candidates.includes('GET\n\n\n\n\n\n\n\n\n\n\n\nocp-date:Tue, 29 Jul 2014 21:49:13 GMT\n/myaccount/jobs\napi-version:2014-01-01.1.0\ntimeout:20'));
  });

  it('signs the raw path (%2F kept) and decoded, name-sorted query values', () => {
    const [first] = stringsToSign('acct', {
      method: 'GET',
      rawPath: '/jobs/j1/tasks/t1/files/wd%2Fsub%20dir%2Fout.txt',
      rawQuery: 'maxresults=2&%24filter=state%20eq%20%27completed%27&api-version=2022-10-01.16.0',
      headers: { 'ocp-date': 'd', 'content-type': 'application/json; charset=utf-8' },
      bodyLength: 0,
    });
    assert.ok(first.endsWith("/acct/jobs/j1/tasks/t1/files/wd%2Fsub%20dir%2Fout.txt\n$filter:state eq 'completed'\napi-version:2022-10-01.16.0\nmaxresults:2"), first);
    assert.ok(first.startsWith('GET\n\n\n\n\napplication/json; charset=utf-8\n'));
  });

  it('parses the documented $filter forms', () => {
    const parse = (filter: string) => parseFilter(filter, TASK_FILTER.spec, TASK_FILTER.name);
    const task = (id: string, state: string, exitCode?: number) => ({ id, state, executionInfo: exitCode === undefined ? {} : { exitCode } });
    const failed = parse('(executionInfo/exitCode lt 0) or (executionInfo/exitCode gt 0)');
    assert.equal(failed(task('a', 'completed', 2)), true);
    assert.equal(failed(task('a', 'completed', 0)), false);
    assert.equal(failed(task('a', 'active')), false);
    const both = parse("state eq 'completed' and startswith(id,'shard-')");
    assert.equal(both(task('shard-1', 'completed', 0)), true);
    assert.equal(both(task('other', 'completed', 0)), false);
    assert.equal(parse("id eq 'it''s'")(task("it's", 'active')), true);
    assert.equal(parse("creationTime gt datetime'2020-01-01T00:00:00Z'")({ creationTime: '2024-05-01T00:00:00.0000000Z' }), true);
    assert.throws(() => parse("state eq 'active"), (err: { code: string }) => err.code === 'InvalidQueryParameterValue');
    assert.throws(() => parse('state bogus 1'), (err: { code: string }) => err.code === 'InvalidQueryParameterValue');
  });

  it('refuses $filter properties, operators and value types the list does not document, naming them', () => {
    const reasonOf = (filter: string, list = TASK_FILTER) => {
      try {
        parseFilter(filter, list.spec, list.name);
      } catch (err) {
        const e = err as { code: string; values: { key: string; value: string }[] };
        assert.equal(e.code, 'InvalidQueryParameterValue');
        assert.deepEqual(e.values.slice(0, 2), [{ key: 'QueryParameterName', value: '$filter' }, { key: 'QueryParameterValue', value: filter }]);
        return e.values.find((v) => v.key === 'Reason')?.value ?? '';
      }
      assert.fail(`${filter} was accepted`);
    };
    assert.match(reasonOf("commandLine eq 'x'"), /Property 'commandLine' cannot be used in a filter of Task_List/);
    assert.match(reasonOf("state gt 'active'"), /Operator 'gt' cannot be applied to 'state'/);
    assert.match(reasonOf("startswith(state,'act')"), /Operator 'startswith' cannot be applied to 'state'/);
    assert.match(reasonOf("endswith(id,'-1')"), /Operator 'endswith'/);
    assert.match(reasonOf("executionInfo/exitCode eq '1'"), /'executionInfo\/exitCode' is Int/);
    assert.match(reasonOf("not (state eq 'active')"), /Operator 'not' is not supported/);
    assert.match(reasonOf("name eq 'stdout.txt'", TASK_FILE_FILTER), /Operator 'eq' cannot be applied to 'name' in File_ListFromTask/);
    assert.match(reasonOf("startTaskInfo/state eq 'completed'", POOL_FILTER), /Property 'startTaskInfo\/state' cannot be used in a filter of Pool_List/);
    assert.equal(parseFilter("startswith(id,'p') and allocationState eq 'steady'", POOL_FILTER.spec, POOL_FILTER.name)({ id: 'p1', allocationState: 'steady' }), true);
  });

  it("reads substringof('part',property) in OData's order, not backwards", () => {
    const spec = { name: { type: 'String' as const, ops: ['substringof' as const] } };
    const contains = parseFilter("substringof('out',name)", spec, 'test list');
    assert.equal(contains({ name: 'wd/output.txt' }), true);
    assert.equal(contains({ name: 'wd/in.txt' }), false);
    assert.throws(() => parseFilter("substringof(name,'out')", spec, 'test list'), (err: { code: string }) => err.code === 'InvalidQueryParameterValue');
  });

  it('matches output-file patterns with *, ** and ?, leaving dotfiles out unless named', () => {
    assert.ok(globToRegex('*.txt').test('a.txt'));
    assert.ok(!globToRegex('*.txt').test('d/a.txt'));
    assert.ok(!globToRegex('*.txt').test('.hidden.txt'));
    assert.ok(globToRegex('**/*.txt').test('d/e/a.txt'));
    assert.ok(globToRegex('**/*.txt').test('a.txt'));
    assert.ok(globToRegex('out/**').test('out/x/y.log'));
    assert.ok(globToRegex('f?[0-9].csv').test('fa1.csv'));
    assert.ok(!globToRegex('f[!0-9].csv').test('f1.csv'));
  });

  it('splits command lines like a shell splits words, without expansions', () => {
    assert.deepEqual(splitCommandLine(`/bin/sh -c 'echo $HOME && exit 3'`), ['/bin/sh', '-c', 'echo $HOME && exit 3']);
    assert.deepEqual(splitCommandLine(`node -e "console.log(\\"x\\")"  two\\ words ''`), ['node', '-e', 'console.log("x")', 'two words', '']);
  });

  it('reads ISO 8601 durations and writes 7-digit UTC timestamps', () => {
    assert.equal(parseDuration('PT1H'), 3_600_000);
    assert.equal(parseDuration('P7D'), 7 * 86_400_000);
    assert.equal(parseDuration('PT0.5S'), 500);
    assert.equal(parseDuration(UNLIMITED), UNLIMITED_MS);
    assert.equal(parseDuration('1 hour'), undefined);
    assert.match(isoTime(0), /^1970-01-01T00:00:00\.0000000Z$/);
  });
});
