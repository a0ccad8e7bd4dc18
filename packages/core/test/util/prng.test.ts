import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { Prng } from '../../src/util/prng.js';

function draws(p: Prng, n: number): number[] {
  return Array.from({ length: n }, () => p.nextU32());
}

describe('Prng determinism', () => {
  test('the same numeric or string seed gives the same stream', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string()), (seed) => {
        expect(draws(new Prng(seed), 20)).toEqual(draws(new Prng(seed), 20));
      }),
      { numRuns: 100 },
    );
  });

  test('neighbouring seeds give unrelated streams', () => {
    const a = draws(new Prng(1), 50);
    const b = draws(new Prng(2), 50);
    expect(a.filter((x, i) => x === b[i])).toHaveLength(0);
    expect(draws(new Prng(1), 5)).not.toEqual(draws(new Prng('1'), 5));
  });

  test('a pinned seed keeps its stream (changing it breaks every pinned simulation seed)', () => {
    expect(draws(new Prng(42), 3)).toEqual([831067952, 2106992154, 2557151684]);
    expect(draws(new Prng('ringkv').fork('node-1'), 3)).toEqual([1417351568, 2268399705, 2390776266]);
  });

  test.each([NaN, Infinity, -Infinity])('seed %p is refused', (seed) => {
    expect(() => new Prng(seed)).toThrow(TypeError);
  });
});

describe('Prng.fork', () => {
  test('a fork does not depend on how much the parent has drawn', () => {
    const parent = new Prng('sim-7');
    const before = draws(parent.fork('node-1'), 10);
    draws(parent, 1000);
    expect(draws(parent.fork('node-1'), 10)).toEqual(before);
  });

  test('adding a fork does not change the other forks or the parent', () => {
    const one = new Prng(9);
    const a1 = one.fork('a');
    const parentStream1 = draws(one, 10);
    const two = new Prng(9);
    two.fork('b');
    two.fork('c');
    const a2 = two.fork('a');
    expect(draws(a2, 10)).toEqual(draws(a1, 10));
    expect(draws(two, 10)).toEqual(parentStream1);
  });

  test('forks with different labels, and nested forks, differ from each other and the parent', () => {
    const p = new Prng(3);
    const streams = [p.fork('x'), p.fork('y'), p.fork('x').fork('y'), p.fork(''), new Prng(3)].map((s) =>
      draws(s, 8).join(','),
    );
    expect(new Set(streams).size).toBe(streams.length);
  });
});

describe('Prng distributions', () => {
  test('next() is in [0, 1) with mean near 1/2', () => {
    const p = new Prng(11);
    const xs = Array.from({ length: 20000 }, () => p.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length - 0.5)).toBeLessThan(0.01);
  });

  test('int(lo, hi) covers every value about equally (chi-square)', () => {
    const p = new Prng('chi');
    const k = 10;
    const n = 20000;
    const counts = new Array<number>(k).fill(0);
    for (let i = 0; i < n; i++) counts[p.int(-3, 7) + 3]++;
    const expected = n / k;
    const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: P(chi2 > 27.9) = 0.001.
    expect(chi2).toBeLessThan(27.9);
  });

  test('int stays in range for any bounds, including spans wider than 2^32', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 2 ** 40 }), fc.integer(), (lo, span, seed) => {
        const x = new Prng(seed).int(lo, lo + span);
        expect(Number.isInteger(x) && x >= lo && x < lo + span).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  test.each([
    [0, 0],
    [5, 3],
    [0.5, 2],
  ])('int(%p, %p) is refused', (lo, hi) => {
    expect(() => new Prng(1).int(lo, hi)).toThrow(TypeError);
  });

  test('chance(p) hits about p of the time; 0 never, 1 always', () => {
    const p = new Prng(5);
    let hits = 0;
    for (let i = 0; i < 10000; i++) if (p.chance(0.3)) hits++;
    expect(Math.abs(hits / 10000 - 0.3)).toBeLessThan(0.02);
    expect(Array.from({ length: 100 }, () => p.chance(0)).some(Boolean)).toBe(false);
    expect(Array.from({ length: 100 }, () => p.chance(1)).every(Boolean)).toBe(true);
  });

  test('pick returns an element and refuses an empty array', () => {
    const p = new Prng(1);
    const arr = ['a', 'b', 'c'];
    const seen = new Set(Array.from({ length: 100 }, () => p.pick(arr)));
    expect([...seen].sort()).toEqual(arr);
    expect(() => p.pick([])).toThrow(TypeError);
  });

  test('shuffle is an in-place permutation', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer(), (arr, seed) => {
        const copy = [...arr];
        const out = new Prng(seed).shuffle(copy);
        expect(out).toBe(copy);
        expect([...out].sort((a, b) => a - b)).toEqual([...arr].sort((a, b) => a - b));
      }),
      { numRuns: 100 },
    );
  });

  test('shuffle puts each element in each position about equally often', () => {
    const p = new Prng('fy');
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 8000; i++) counts[p.shuffle([0, 1, 2, 3]).indexOf(0)]++;
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
  });
});
