// Background pacing: the share halves on a lagging sample, grows back by steps on quiet ones,
// stays within [PACE_MIN_FRACTION, 1], and the wait per unit follows the share.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { nextPace, paceWaitMs, PACE_MAX_WAIT_MS, PACE_MIN_FRACTION } from '@ringkv/core';

describe('nextPace', () => {
  test.each<[string, number, number, number, number]>([
    ['a lagging sample halves the share', 1, 30, 10, 0.5],
    ['and again', 0.5, 11, 10, 0.25],
    ['never below the least share', PACE_MIN_FRACTION, 500, 10, PACE_MIN_FRACTION],
    ['a quiet sample gives back an eighth', 0.5, 3, 10, 0.625],
    ['lag equal to the target is quiet', 0.25, 10, 10, 0.375],
    ['never above 1', 0.95, 0, 10, 1],
    ['a target of 0 turns pacing off', PACE_MIN_FRACTION, 500, 0, 1],
  ])('%s', (_name, fraction, lag, target, expected) => {
    expect(nextPace(fraction, lag, target)).toBeCloseTo(expected, 12);
  });

  test('from the least share, eight quiet samples give the full share back', () => {
    let f = PACE_MIN_FRACTION;
    for (let i = 0; i < 8; i++) f = nextPace(f, 0, 10);
    expect(f).toBe(1);
  });

  test('any sequence of samples keeps the share within bounds, and a lagging one never raises it', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 100 }), fc.integer({ min: 1, max: 100 }), (lags, target) => {
      let f = 1;
      for (const lag of lags) {
        const next = nextPace(f, lag, target);
        expect(next).toBeGreaterThanOrEqual(PACE_MIN_FRACTION);
        expect(next).toBeLessThanOrEqual(1);
        if (lag > target) expect(next).toBeLessThanOrEqual(f);
        else expect(next).toBeGreaterThanOrEqual(f);
        f = next;
      }
    }));
  });
});

describe('paceWaitMs', () => {
  test.each<[number, number, number]>([
    [1, 100, 0],
    [0.5, 100, 100],
    [0.25, 100, 300],
    [PACE_MIN_FRACTION, 100, PACE_MAX_WAIT_MS],
    [0, 100, PACE_MAX_WAIT_MS],
  ])('share %p, samples every %p ms: waits %p ms', (fraction, sampleMs, expected) => {
    expect(paceWaitMs(fraction, sampleMs)).toBe(expected);
  });
});
