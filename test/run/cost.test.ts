/**
 * The pure parts of capacity and cost (no server): `pool.vmSizes` and the cost fields of the run input, node time
 * priced by a rates file, the shipped rates file, a watch report taken into the run state, and the budget.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_RATES_FILE, loadRates, missingRates } from '../../src/activities/rates';
import { nodeTimeBetween } from '../../src/activities/pool-watch';
import { estimateCost, formatCost, RatesFileSchema } from '../../src/schemas/cost';
import { parseRunInput } from '../../src/schemas/run-input';
import { vmSizeCores } from '../../src/schemas/vm-sizes';
import { applyVmSizeChange, applyWatchReport, budgetExceeded, capacityOf, costOf, newPoolWatchState } from '../../src/workflows/pool-watch-state';
import { newRunState } from '../../src/workflows/run-state';

const lads = ['E06000001'];
const HOUR = 3_600_000;
const rates = { currency: 'GBP', date: '2026-12-01', source: 'test', rates: { standard_d2s_v3: { dedicated: 0.1, spot: 0.02 } } };

describe('pool.vmSizes and the cost fields of the run input', () => {
  it('takes vmSizes as the fallback list (vmSize its first) and vmSize alone as a list of one', () => {
    const list = parseRunInput({ lads, pool: { vmSizes: ['Standard_D2s_v3', 'Standard_F2s_v2'] } }, 'r');
    assert.ok(list.ok);
    assert.deepEqual([list.input.pool.vmSize, list.input.pool.vmSizes], ['Standard_D2s_v3', ['Standard_D2s_v3', 'Standard_F2s_v2']]);
    const both = parseRunInput({ lads, pool: { vmSize: 'standard_d2s_v3', vmSizes: ['Standard_D2s_v3', 'Standard_F2s_v2'] } }, 'r');
    assert.ok(both.ok && both.input.pool.vmSizes.length === 2);
    // The normalised input is carried across continue-as-new and parsed again: it must stay valid.
    assert.ok(parseRunInput(list.input, 'r').ok);
  });

  it('refuses a vmSizes list that contradicts vmSize, repeats a size, is malformed, or a slot count some size cannot take', () => {
    const cases: [unknown, RegExp][] = [
      [{ vmSize: 'Standard_E4s_v3', vmSizes: ['Standard_D2s_v3'] }, /pool\.vmSizes: must start with pool\.vmSize "Standard_E4s_v3"/],
      [{ vmSizes: ['Standard_D2s_v3', 'standard_d2s_v3'] }, /pool\.vmSizes: must not repeat a VM size/],
      [{ vmSizes: ['Standard_D2s_v3', 'D4 v3'] }, /pool\.vmSizes\.1: must be an Azure VM size/],
      [{ vmSizes: [] }, /pool\.vmSizes: must not be empty/],
      [{ vmSizes: ['Standard_D4s_v3', 'Standard_D2s_v3'], taskSlotsPerNode: 12 }, /pool\.taskSlotsPerNode: 12 does not fit Standard_D2s_v3 \(at most 8: 4 per vCPU\)/],
    ];
    for (const [pool, message] of cases) {
      const parsed = parseRunInput({ lads, pool }, 'r');
      assert.ok(!parsed.ok && message.test(parsed.message), `${JSON.stringify(pool)}: ${JSON.stringify(parsed)}`);
    }
  });

  it('refuses a bad budget and unknown cost or poolWatch keys, naming the field', () => {
    for (const [extra, message] of [
      [{ budget: 0 }, /budget: must be > 0/],
      [{ cost: { rates: 'x' } }, /cost: Unrecognized key: "rates"/],
      [{ poolWatch: { zeroNodesMs: 10 } }, /poolWatch\.zeroNodesMs/],
    ] as const) {
      const parsed = parseRunInput({ lads, ...extra }, 'r');
      assert.ok(!parsed.ok && message.test(parsed.message), JSON.stringify(parsed));
    }
  });

  it('reads the vCPUs a size names', () => {
    assert.deepEqual(['Standard_D2s_v3', 'standard_e64-16ds_v4', 'Standard_F72s_v2', 'Basic_A1'].map(vmSizeCores), [2, 64, 72, 1]);
  });
});

describe('cost estimate', () => {
  it('prices node time per size and priority; time without a rate is listed, not priced', () => {
    const cost = estimateCost(
      [
        { vmSize: 'standard_d2s_v3', priority: 'dedicated', nodeMs: 2 * HOUR },
        { vmSize: 'standard_d2s_v3', priority: 'spot', nodeMs: 3 * HOUR },
        { vmSize: 'standard_x9', priority: 'dedicated', nodeMs: HOUR },
      ],
      rates,
      1,
    );
    assert.equal(cost.estimate, 0.26);
    assert.deepEqual(cost.unpriced, ['standard_x9 dedicated']);
    assert.equal(formatCost(cost), '~0.26 GBP (budget 1.00 GBP), 6 node-hours, no rate for standard_x9 dedicated');
  });

  it('ships a rates file that parses and prices the default size for both priorities', async () => {
    const file = RatesFileSchema.parse(JSON.parse(readFileSync(DEFAULT_RATES_FILE, 'utf8')));
    assert.deepEqual(missingRates(file, ['standard_d2s_v3', 'Standard_F2s_v2'], { dedicated: true, spot: true }), []);
    assert.deepEqual(missingRates(file, ['Standard_Q1'], { dedicated: true, spot: false }), ['Standard_Q1 dedicated']);
    await assert.rejects(loadRates('/nonexistent/rates.json'), /cost\.ratesFile: cannot read \/nonexistent\/rates\.json/);
  });

  it('counts node time at the counts of the earlier reading', () => {
    assert.deepEqual(nodeTimeBetween({ at: 0, vmSize: 'standard_d2s_v3', dedicated: 2, spot: 1 }, 1000), [
      { vmSize: 'standard_d2s_v3', priority: 'dedicated', nodeMs: 2000 },
      { vmSize: 'standard_d2s_v3', priority: 'spot', nodeMs: 1000 },
    ]);
  });
});

describe('pool watch state', () => {
  const input = () => {
    const parsed = parseRunInput({ lads, pool: { vmSizes: ['Standard_D2s_v3', 'Standard_F2s_v2'] }, budget: 0.15 }, 'r');
    assert.ok(parsed.ok);
    return parsed.input;
  };

  it('adds up reports, says a pool is stuck and why, clears it when nodes come, and stops past the budget', () => {
    const state = newRunState(input(), lads, 0);
    state.poolWatch = newPoolWatchState(input().pool.vmSizes, 0, 0.15);
    const last = { at: 1000, vmSize: 'standard_d2s_v3', dedicated: 0, spot: 0 };
    applyWatchReport(state.poolWatch, { kind: 'stuck', nodeTime: [], last, zeroNodesSince: 0, stuck: 'AllocationFailed: no capacity', rates });
    assert.deepEqual(capacityOf(state), { vmSize: 'Standard_D2s_v3', nodes: { dedicated: 0, spot: 0 }, zeroNodesSince: '1970-01-01T00:00:00.000Z', stuck: 'AllocationFailed: no capacity' });
    assert.equal(budgetExceeded(state), undefined);
    applyWatchReport(state.poolWatch, { kind: 'unstuck', nodeTime: [{ vmSize: 'standard_d2s_v3', priority: 'dedicated', nodeMs: HOUR }], last: { ...last, dedicated: 1 } });
    assert.equal(capacityOf(state)?.stuck, undefined);
    assert.equal(costOf(state)?.estimate, 0.1);
    applyWatchReport(state.poolWatch, { kind: 'report', nodeTime: [{ vmSize: 'standard_d2s_v3', priority: 'dedicated', nodeMs: HOUR }] });
    assert.equal(budgetExceeded(state), 'budget exceeded: estimated cost 0.20 GBP > budget 0.15 GBP');
  });

  it('starts a fresh reading on a VM size change', () => {
    const watch = newPoolWatchState(input().pool.vmSizes, 0);
    applyWatchReport(watch, { kind: 'allocation-failed', nodeTime: [], zeroNodesSince: 5, stuck: 'AccountCoreQuotaReached: x' });
    applyVmSizeChange(watch, 1, 'Standard_F2s_v2', 7000);
    assert.deepEqual([watch.vmSizeIndex, watch.vmSize, watch.last, watch.zeroNodesSince, watch.stuck], [1, 'Standard_F2s_v2', { at: 7000, vmSize: 'standard_f2s_v2', dedicated: 0, spot: 0 }, undefined, undefined]);
  });
});
