// The bench's paired mode (packages/cli/src/bench/paired.ts) as pure logic: windows alternate
// A B / B A, every pair gives a ratio B/A, and the report is their median with quartiles and range.
import { describe, expect, test } from '@jest/globals';
import { formatPaired, runPaired, spreadOf, summarizePairs, type PairedTarget, type WindowResult } from '../../packages/cli/src/bench/paired.js';

const window = (opsPerS: number, cpuUsPerOp?: number): WindowResult => ({
  opsPerS, requests: opsPerS, p50Ms: 1, p99Ms: 2, p999Ms: 3, errors: 0, non2xx: 0, combined: false, ...(cpuUsPerOp ? { cpuUsPerOp } : {}),
});

describe('spreadOf', () => {
  test.each<[number[], { median: number; q1: number; q3: number; min: number; max: number; pairs: number } | undefined]>([
    [[], undefined],
    [[1.5], { median: 1.5, q1: 1.5, q3: 1.5, min: 1.5, max: 1.5, pairs: 1 }],
    [[1, 3], { median: 2, q1: 1.5, q3: 2.5, min: 1, max: 3, pairs: 2 }],
    [[0.9, 1.1, 1, 1.2, 0.8], { median: 1, q1: 0.9, q3: 1.1, min: 0.8, max: 1.2, pairs: 5 }],
    [[1, Number.NaN, Number.POSITIVE_INFINITY], { median: 1, q1: 1, q3: 1, min: 1, max: 1, pairs: 1 }],
  ])('%j', (xs, expected) => {
    const s = spreadOf(xs);
    if (expected === undefined) expect(s).toBeUndefined();
    else for (const k of Object.keys(expected) as (keyof typeof expected)[]) expect(s![k]).toBeCloseTo(expected[k], 10);
  });
});

describe('runPaired', () => {
  const a: PairedTarget = { label: 'A', endpoints: ['http://a'] };
  const b: PairedTarget = { label: 'B', endpoints: ['http://b'] };

  test('alternates which target goes first, PUT pairs before GET pairs, and pairs each B with its A', async () => {
    const order: string[] = [];
    // B is 10% faster and 20% cheaper than A in every window; the machine slows down window by window.
    let slowdown = 1;
    const pairs = await runPaired({
      a, b, pairs: 3, windowS: 1,
      measure: async (t, op) => {
        order.push(`${op} ${t.label}`);
        slowdown *= 0.9;
        return t === b ? window(1100 * slowdown, 80) : window(1000 * slowdown, 100);
      },
    });
    expect(order).toEqual(['PUT A', 'PUT B', 'PUT B', 'PUT A', 'PUT A', 'PUT B', 'GET A', 'GET B', 'GET B', 'GET A', 'GET A', 'GET B']);
    expect(pairs.map((p) => p.first)).toEqual(['A', 'B', 'A', 'A', 'B', 'A']);
    const [put, get] = summarizePairs(pairs);
    expect(put!.op).toBe('PUT');
    expect(get!.op).toBe('GET');
    // The drift within a pair (0.9) shows as a spread around 1.1, in both directions since the order alternates.
    expect(put!.throughput.min).toBeCloseTo(1.1 * 0.9, 10);
    expect(put!.throughput.max).toBeCloseTo(1.1 / 0.9, 10);
    expect(put!.cpu!.median).toBeCloseTo(0.8, 10);
  });

  test('without CPU figures there is no CPU ratio, and the report says so by leaving the line out', async () => {
    const pairs = await runPaired({ a, b, pairs: 2, windowS: 1, measure: async (t) => window(t === b ? 500 : 1000) });
    const summary = summarizePairs(pairs);
    expect(summary.map((s) => [s.op, s.throughput.median, s.cpu])).toEqual([['PUT', 0.5, undefined], ['GET', 0.5, undefined]]);
    const lines = formatPaired(a, b, summary);
    expect(lines.some((l) => l.includes('cpu'))).toBe(false);
    expect(lines.filter((l) => l.includes('ops/s'))).toHaveLength(2);
  });
});
