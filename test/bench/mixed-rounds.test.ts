// The mixed scenario's rounds against the bare server (packages/cli/src/bench/mixed-rounds.ts):
// ringkv then the ceiling in every round, and per op the median of the within-round p99 ratios.
import { describe, expect, test } from '@jest/globals';
import { compareP99, formatComparison, runMixedRounds, type MixedRound } from '../../packages/cli/src/bench/mixed-rounds.js';
import type { OpenLoopResult } from '../../packages/cli/src/bench/open-loop.js';

const lat = (p99Ms: number) => ({ count: 100, p50Ms: p99Ms / 4, p99Ms, p999Ms: p99Ms * 2, maxMs: p99Ms * 3 });
const result = (getP99: number, putP99: number): OpenLoopResult => ({
  opsPerS: 1000, scheduled: 1000, dropped: 0, errors: 0, get: lat(getP99), put: lat(putP99), all: lat(Math.max(getP99, putP99)),
});

describe('runMixedRounds', () => {
  test('runs ringkv then the ceiling in each round, in order', async () => {
    const order: string[] = [];
    const rounds = await runMixedRounds({
      rounds: 3,
      runRingkv: async (i) => { order.push(`ringkv ${i}`); return result(2 + i, 4); },
      runCeiling: async (i) => { order.push(`bare ${i}`); return result(1, 1); },
    });
    expect(order).toEqual(['ringkv 0', 'bare 0', 'ringkv 1', 'bare 1', 'ringkv 2', 'bare 2']);
    expect(rounds.map((r) => r.ringkv.get.p99Ms)).toEqual([2, 3, 4]);
  });

  test('without a ceiling: ringkv alone, and nothing to compare', async () => {
    const rounds = await runMixedRounds({ rounds: 2, runRingkv: async () => result(2, 3) });
    expect(rounds.every((r) => r.ceiling === undefined)).toBe(true);
    expect(compareP99(rounds)).toEqual([]);
  });
});

describe('compareP99', () => {
  test('the ratio is taken within each round, then its median (a slow round of both is no outlier)', () => {
    const rounds: MixedRound[] = [
      { ringkv: result(2, 6), ceiling: result(1, 2) }, // GET 2.0, PUT 3.0
      { ringkv: result(9, 9), ceiling: result(6, 6) }, // a slow machine: GET 1.5, PUT 1.5
      { ringkv: result(3, 5), ceiling: result(1, 2) }, // GET 3.0, PUT 2.5
    ];
    const [get, put] = compareP99(rounds);
    expect(get).toEqual({ op: 'GET', ringkvP99Ms: 3, ceilingP99Ms: 1, ratio: 2, perRound: [2, 1.5, 3] });
    expect(put).toEqual({ op: 'PUT', ringkvP99Ms: 6, ceilingP99Ms: 2, ratio: 2.5, perRound: [3, 1.5, 2.5] });
    expect(formatComparison([get!])).toEqual(['  GET p99 ringkv 3.00 ms, bare node:http 1.00 ms: ratio 2.00 (rounds: 2.00 1.50 3.00)']);
  });

  test('one round: its own ratio, no list of rounds', () => {
    const c = compareP99([{ ringkv: result(3, 3), ceiling: result(2, 2) }]);
    expect(c.map((x) => x.ratio)).toEqual([1.5, 1.5]);
    expect(formatComparison(c)[1]).toBe('  PUT p99 ringkv 3.00 ms, bare node:http 2.00 ms: ratio 1.50');
  });
});
