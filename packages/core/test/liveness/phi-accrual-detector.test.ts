import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { DEFAULT_PHI_OPTIONS, PhiAccrualDetector, phiOf, type PhiAccrualOptions } from '../../src/liveness/phi-accrual-detector.js';

/** Exact -log10 of the normal upper tail at y standard deviations, for |y| small enough to compute. */
function exactPhi(y: number): number {
  // Abramowitz-Stegun 7.1.26 erfc approximation (error < 1.5e-7), enough for the comparison.
  const x = Math.abs(y) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  const tail = y >= 0 ? erfc / 2 : 1 - erfc / 2;
  return -Math.log10(tail);
}

const regular: PhiAccrualOptions = {
  threshold: 8,
  windowSize: 10,
  minStdDevMs: 100,
  acceptableHeartbeatPauseMs: 0,
  firstHeartbeatEstimateMs: 1000,
};

/** A detector that has seen `beats` heartbeats every intervalMs, the last at the returned time. */
function beating(opts: PhiAccrualOptions, intervalMs: number, beats: number): [PhiAccrualDetector, number] {
  const d = new PhiAccrualDetector(opts);
  let t = 0;
  for (let i = 0; i < beats; i++, t += intervalMs) d.heartbeat(t);
  return [d, t - intervalMs];
}

describe('phiOf', () => {
  test.each([
    [1000, 0.30103],
    [1100, 0.79951],
    [1200, 1.64283],
    [1300, 2.90948],
    [1500, 7.29995],
    [900, 0.07503],
  ])('mean 1000, deviation 100, %p ms after the last heartbeat: phi %p', (elapsedMs, expected) => {
    expect(phiOf(elapsedMs, 1000, 100)).toBeCloseTo(expected, 3);
  });

  test('matches the exact normal tail within 0.01 up to two deviations late', () => {
    for (let y = -2; y <= 2; y += 0.25) expect(Math.abs(phiOf(1000 + 100 * y, 1000, 100) - exactPhi(y))).toBeLessThan(0.01);
  });

  test('is non-decreasing in the elapsed time, and unbounded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 5000 }), (a, b, sd) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(phiOf(lo, 1000, sd)).toBeLessThanOrEqual(phiOf(hi, 1000, sd));
      }),
      { numRuns: 300 },
    );
    expect(phiOf(1e9, 1000, 100)).toBe(Infinity);
  });
});

describe('PhiAccrualDetector', () => {
  test('before any heartbeat nothing is suspected', () => {
    const d = new PhiAccrualDetector(regular);
    expect(d.phi(1e9)).toBe(0);
    expect(d.isAvailable(1e9)).toBe(true);
    expect(d.lastHeartbeatAtMs).toBeUndefined();
  });

  test('after the first heartbeat it uses the estimate: mean 1000, deviation 250', () => {
    const d = new PhiAccrualDetector(regular);
    d.heartbeat(5000);
    expect(d.phi(6000)).toBeCloseTo(phiOf(1000, 1000, 250), 9);
    expect(d.phi(7000)).toBeCloseTo(phiOf(2000, 1000, 250), 9);
  });

  test.each([
    // [interval, pause, minStdDev, crossing elapsed ms]: mean + pause + 5.226 deviations.
    [1000, 0, 100, 1522.6],
    [1000, 3000, 100, 4522.6],
    [500, 0, 50, 761.3],
    [2000, 1000, 400, 5090.4],
  ])('heartbeats every %p ms, pause %p, min deviation %p: phi crosses 8 at %p ms', (intervalMs, pauseMs, sdMs, crossMs) => {
    const [d, last] = beating({ ...regular, acceptableHeartbeatPauseMs: pauseMs, minStdDevMs: sdMs }, intervalMs, 30);
    expect(d.isAvailable(last + crossMs - 2)).toBe(true);
    expect(d.isAvailable(last + crossMs + 2)).toBe(false);
    expect(d.phi(last + crossMs)).toBeCloseTo(8, 1);
  });

  test('phi rises with the time since the last heartbeat and drops to near 0 on the next', () => {
    const [d, last] = beating(DEFAULT_PHI_OPTIONS, 1000, 20);
    const samples = [0, 500, 1000, 2000, 4000, 8000].map((dt) => d.phi(last + dt));
    expect([...samples].sort((a, b) => a - b)).toEqual(samples);
    expect(d.isAvailable(last + 8000)).toBe(false);
    d.heartbeat(last + 8000);
    expect(d.phi(last + 8000)).toBeLessThan(0.1);
  });

  test('regular heartbeats, even jittered, are never suspected', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 900, max: 1100 }), { minLength: 1, maxLength: 150 }), fc.double({ min: 0, max: 1, noNaN: true }), (intervals, at) => {
        const d = new PhiAccrualDetector({ ...regular, windowSize: 100 });
        let t = 1000;
        d.heartbeat(t);
        for (const iv of intervals) {
          // Anywhere before the next heartbeat arrives, the peer is up.
          expect(d.isAvailable(t + at * iv)).toBe(true);
          t += iv;
          d.heartbeat(t);
        }
      }),
      { numRuns: 100 },
    );
  });

  test('an outage longer than maxSampleIntervalMs does not slow the next detection', () => {
    const opts = { ...regular, maxSampleIntervalMs: 5000 };
    const [d, last] = beating(opts, 1000, 30);
    const before = d.phi(last + 1400);
    d.heartbeat(last + 60_000);
    expect(d.phi(last + 60_000 + 1400)).toBeCloseTo(before, 9);
    const [unbounded, last2] = beating(regular, 1000, 30);
    unbounded.heartbeat(last2 + 60_000);
    expect(unbounded.phi(last2 + 60_000 + 1400)).toBeLessThan(before);
  });

  test('heartbeats at the same or an earlier time add no interval', () => {
    const [d, last] = beating(regular, 1000, 30);
    const before = d.phi(last + 1300);
    d.heartbeat(last);
    d.heartbeat(last - 500);
    expect(d.lastHeartbeatAtMs).toBe(last);
    expect(d.phi(last + 1300)).toBe(before);
  });

  test('a clone is independent', () => {
    const [d, last] = beating(regular, 1000, 5);
    const copy = d.clone();
    copy.heartbeat(last + 3000);
    expect(d.lastHeartbeatAtMs).toBe(last);
    expect(copy.phi(last + 3000)).not.toBe(d.phi(last + 3000));
  });

  test.each([
    [{ threshold: 0 }],
    [{ windowSize: 1 }],
    [{ windowSize: 2.5 }],
    [{ minStdDevMs: 0 }],
    [{ acceptableHeartbeatPauseMs: -1 }],
    [{ firstHeartbeatEstimateMs: 0 }],
  ])('refuses options %p', (bad) => {
    expect(() => new PhiAccrualDetector({ ...regular, ...bad })).toThrow(RangeError);
  });
});
