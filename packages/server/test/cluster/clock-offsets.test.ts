// The clock offset estimate and the verdict that decides whether a node coordinates writes.
import { describe, expect, test } from '@jest/globals';
import { HybridLogicalClock } from '@ringkv/core';
import { ClockGate } from '../../src/time/clock-gate.js';
import { ClockOffsets } from '../../src/time/clock-offsets.js';
import { ManualClock } from '../../../../test/support/manual-clock.js';

/** Wall and monotonic time start together; jumpWall sets the wall clock apart. */
const clocks = () => new ManualClock(1_700_000_000_000);

/** An exchange with a peer whose clock is `offsetMs` from ours, taking `rttMs`. */
function exchange(o: ClockOffsets, c: ManualClock, peer: string, offsetMs: number, rttMs = 2): void {
  const sentWall = c.nowMs();
  const sentMono = c.monotonicMs();
  c.advance(rttMs / 2);
  const remote = c.nowMs() + offsetMs;
  c.advance(rttMs / 2);
  o.sample(peer, sentWall, sentMono, remote);
}

describe('ClockOffsets', () => {
  test('estimates the offset from the round trip, keeping the sample of least round trip', () => {
    const c = clocks();
    const o = new ClockOffsets(c, 500);
    exchange(o, c, 'b', 120, 40);
    exchange(o, c, 'b', 100, 2);
    exchange(o, c, 'b', 140, 30);
    expect(o.offsetOf('b')).toMatchObject({ offsetMs: 100, rttMs: 2 });
    expect(o.offsetOf('nobody')).toBeUndefined();
  });

  test.each<[string, Record<string, number>, string]>([
    ['agrees with every peer', { b: 10, c: -20 }, 'ok'],
    ['one peer of three is off: that is the peer\'s problem', { b: 5, c: 3, d: 3_600_000 }, 'ok'],
    ['off from the majority (this node is the one that is wrong)', { b: -3_600_000, c: -3_600_000, d: 4 }, 'skewed'],
    ['a cluster of two with one bad clock: both stop (safe rather than wrong)', { b: 3_600_000 }, 'skewed'],
    ['half and half: not a majority against it', { b: 900, c: 0 }, 'ok'],
  ])('%s', (_name, offsets, state) => {
    const c = clocks();
    const o = new ClockOffsets(c, 500);
    for (const [peer, off] of Object.entries(offsets)) exchange(o, c, peer, off);
    expect(o.verdict(Object.keys(offsets)).state).toBe(state);
  });

  test('an offset within the round trip\'s uncertainty of the bound does not count as far', () => {
    const c = clocks();
    const o = new ClockOffsets(c, 500);
    exchange(o, c, 'b', 520, 100);
    expect(o.verdict(['b']).state).toBe('ok');
  });

  test('no live peer measured yet is unknown; no live peer at all is ok; a peer without a clock is left out', () => {
    const c = clocks();
    const o = new ClockOffsets(c, 500);
    expect(o.verdict([]).state).toBe('ok');
    expect(o.verdict(['b'])).toMatchObject({ state: 'unknown', reason: expect.stringContaining('not been compared') });
    o.markUnmeasurable('b');
    expect(o.verdict(['b']).state).toBe('ok');
    exchange(o, c, 'b', 3_600_000);
    expect(o.verdict(['b']).state).toBe('skewed');
  });

  test('a jump of the wall clock against the monotonic one drops the samples: unknown until measured again', () => {
    const c = clocks();
    const o = new ClockOffsets(c, 500);
    exchange(o, c, 'b', 0);
    exchange(o, c, 'c', 0);
    expect(o.verdict(['b', 'c']).state).toBe('ok');
    c.jumpWall(3_600_000); // NTP, or an operator, sets it an hour on
    expect(o.verdict(['b', 'c'])).toMatchObject({ state: 'unknown', reason: expect.stringContaining('jumped') });
    exchange(o, c, 'b', -3_600_000);
    exchange(o, c, 'c', -3_600_000);
    expect(o.verdict(['b', 'c']).state).toBe('skewed');
  });

  test('a node that was the only member stays ok while a joiner is unmeasured; then the joiner is judged', () => {
    const c = clocks();
    const o = new ClockOffsets(c, 500);
    o.markAlone();
    expect(o.verdict([]).state).toBe('ok');
    expect(o.verdict(['b']).state).toBe('ok');
    exchange(o, c, 'b', 3_600_000);
    expect(o.verdict(['b']).state).toBe('skewed');
    // Measured once, it no longer counts as alone: stale samples are unknown again.
    c.advance(61_000);
    expect(o.verdict(['b']).state).toBe('unknown');
  });

  test('a jump of the wall clock ends what being alone vouched for', () => {
    const c = clocks();
    const o = new ClockOffsets(c, 500);
    o.markAlone();
    expect(o.verdict([]).state).toBe('ok');
    c.jumpWall(3_600_000);
    expect(o.verdict(['b'])).toMatchObject({ state: 'unknown', reason: expect.stringContaining('jumped') });
  });

  test('samples older than a minute no longer count', () => {
    const c = clocks();
    const o = new ClockOffsets(c, 500);
    exchange(o, c, 'b', 0);
    c.advance(61_000);
    expect(o.offsetOf('b')).toBeUndefined();
    expect(o.verdict(['b']).state).toBe('unknown');
  });
});

describe('ClockGate', () => {
  test('refuses writes while skewed, and while the HLC runs ahead of a clock that was set back', () => {
    const c = clocks();
    const o = new ClockOffsets(c, 500);
    const hlc = new HybridLogicalClock({ node: 1, maxDriftMs: 500 });
    const gate = new ClockGate({ clock: c, offsets: o, hlc, livePeers: () => ['b'] });
    exchange(o, c, 'b', 0);
    expect(gate.refusal()).toBeUndefined();
    // Timestamps issued an hour ahead (the clock was wrong then), then the clock set right:
    hlc.now(c.nowMs() + 3_600_000);
    c.advance(200); // past the cache
    expect(gate.refusal()).toMatchObject({ code: 'CLOCK_SKEW', message: expect.stringContaining('waits until its clock passes them') });
  });
});
