// The background pacer on a manual clock: units run at once at full share; lag past the target
// spaces their turns (further apart the lower the share), quiet samples give the share back, and
// the throttles wait on it.
import { describe, expect, test } from '@jest/globals';
import { PACE_MAX_WAIT_MS, PACE_MIN_FRACTION } from '@ringkv/core';
import { BackgroundPacer } from '../src/time/background-pacer.js';
import { TokenBucket } from '../src/time/token-bucket.js';
import { ManualClock } from '../../../test/support/manual-clock.js';

/** Whether p has settled after the microtasks now queued. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

describe('BackgroundPacer', () => {
  test('at full share a unit is admitted at once', async () => {
    const pacer = new BackgroundPacer({ clock: new ManualClock(0), targetLagMs: 10, sampleMs: 100 });
    pacer.observe(3);
    expect(pacer.fraction).toBe(1);
    expect(await settled(pacer.admit())).toBe(true);
    expect(pacer.waitedMs).toBe(0);
  });

  test('lag past the target halves the share, and turns are then spaced a sample period apart across callers', async () => {
    const clock = new ManualClock(0);
    const pacer = new BackgroundPacer({ clock, targetLagMs: 10, sampleMs: 100 });
    pacer.observe(40);
    expect(pacer.fraction).toBe(0.5);
    const units = [pacer.admit(), pacer.admit(), pacer.admit()];
    expect(await settled(units[0]!)).toBe(true);
    clock.advance(99);
    expect(await settled(units[1]!)).toBe(false);
    clock.advance(1);
    expect(await settled(units[1]!)).toBe(true);
    expect(await settled(units[2]!)).toBe(false);
    clock.advance(100);
    expect(await settled(units[2]!)).toBe(true);
    expect(pacer.waitedMs).toBe(300);
  });

  test('however many units ask at the least share, none is given a turn more than PACE_MAX_WAIT_MS away', async () => {
    const clock = new ManualClock(0);
    const pacer = new BackgroundPacer({ clock, targetLagMs: 10, sampleMs: 100 });
    for (let i = 0; i < 20; i++) pacer.observe(500);
    const units = Array.from({ length: 100 }, () => pacer.admit());
    clock.advance(PACE_MAX_WAIT_MS - 1);
    expect(await settled(units[99]!)).toBe(false);
    clock.advance(1);
    for (const unit of units) expect(await settled(unit)).toBe(true);
  });

  test('a stalled loop takes the share to its least, and quiet samples give it back', () => {
    const pacer = new BackgroundPacer({ clock: new ManualClock(0), targetLagMs: 10, sampleMs: 100 });
    for (let i = 0; i < 20; i++) pacer.observe(500);
    expect(pacer.fraction).toBe(PACE_MIN_FRACTION);
    for (let i = 0; i < 8; i++) pacer.observe(0);
    expect(pacer.fraction).toBe(1);
  });

  test('a target of 0 never paces', async () => {
    const pacer = new BackgroundPacer({ clock: new ManualClock(0), targetLagMs: 0, sampleMs: 100 });
    pacer.observe(5000);
    expect(pacer.fraction).toBe(1);
    expect(await settled(pacer.admit())).toBe(true);
  });

  test.each([
    ['a token bucket with a rate (a stream\'s bytes)', (clock: ManualClock, pacer: BackgroundPacer) => new TokenBucket(clock, 1 << 30, 1 << 30, pacer).take(1)],
    ['an unlimited token bucket', (clock: ManualClock, pacer: BackgroundPacer) => new TokenBucket(clock, Infinity, Infinity, pacer).take(1)],
  ])('%s waits on the pace', async (_name, take) => {
    const clock = new ManualClock(0);
    const pacer = new BackgroundPacer({ clock, targetLagMs: 10, sampleMs: 100 });
    expect(await settled(take(clock, pacer))).toBe(true);
    pacer.observe(50);
    pacer.observe(50);
    // The turn just given was now: the next is 300 ms (a quarter share) after it.
    const waiting = take(clock, pacer);
    clock.advance(299);
    expect(await settled(waiting)).toBe(false);
    clock.advance(1);
    expect(await settled(waiting)).toBe(true);
  });
});
