import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  ClockDriftError,
  DEFAULT_MAX_DRIFT_MS,
  HybridLogicalClock,
  InvalidTimestampError,
  LOGICAL_MAX,
  compareTimestamps,
  type Timestamp,
} from '@ringkv/core';

const NODE = 7;
const ts = (wallMs: number, logical: number, node = NODE): Timestamp => ({ wallMs, logical, node });
const clockAt = (wallMs: number, logical: number, maxDriftMs = 100) =>
  new HybridLogicalClock({ node: NODE, maxDriftMs, start: ts(wallMs, logical, 0) });

describe('HybridLogicalClock transitions', () => {
  test.each([
    ['physical advances: wall follows, logical resets', [1000, 3], 1005, [1005, 0]],
    ['physical stalls: logical counts', [1000, 3], 1000, [1000, 4]],
    ['physical jumps backwards: stays on the last wall', [1000, 3], 400, [1000, 4]],
    ['logical overflow borrows the next millisecond', [1000, LOGICAL_MAX], 1000, [1001, 0]],
    ['overflow while physical is behind', [1000, LOGICAL_MAX], 10, [1001, 0]],
    ['fresh clock', [0, 0], 0, [0, 1]],
  ])('now: %s', (_name, [wall, logical], physicalMs, [wantWall, wantLogical]) => {
    const clock = clockAt(wall, logical);
    expect(clock.now(physicalMs)).toEqual(ts(wantWall, wantLogical));
    expect(clock.last()).toEqual(ts(wantWall, wantLogical));
  });

  test.each([
    ['remote ahead (within drift) wins the wall', [1000, 3], [1050, 9], 1000, [1050, 10]],
    ['remote behind: own wall, logical counts', [1000, 3], [900, 9], 1000, [1000, 4]],
    ['equal walls: max logical + 1 (ours larger)', [1000, 8], [1000, 2], 990, [1000, 9]],
    ['equal walls: max logical + 1 (remote larger)', [1000, 2], [1000, 8], 990, [1000, 9]],
    ['physical ahead of both: logical resets', [1000, 3], [1010, 9], 1020, [1020, 0]],
    ['physical equals remote wall, ahead of ours', [1000, 3], [1020, 9], 1020, [1020, 10]],
    ['physical equals our wall, remote behind', [1020, 3], [1000, 9], 1020, [1020, 4]],
    ['remote at the drift limit is accepted', [1000, 0], [1100, 5], 1000, [1100, 6]],
    ['remote logical overflow borrows the next ms', [1000, 3], [1050, LOGICAL_MAX], 1000, [1051, 0]],
    ['our logical overflow on equal walls', [1050, LOGICAL_MAX], [1050, 1], 1000, [1051, 0]],
    ['physical jumped backwards far: stays on last wall', [5000, 1], [100, 1], 90, [5000, 2]],
  ])('observe: %s', (_name, [wall, logical], [rWall, rLogical], physicalMs, [wantWall, wantLogical]) => {
    const clock = clockAt(wall, logical);
    const remote = ts(rWall, rLogical, 99);
    const got = clock.observe(remote, physicalMs);
    expect(got).toEqual(ts(wantWall, wantLogical));
    expect(compareTimestamps(got, remote)).toBeGreaterThan(0);
  });

  test('a remote beyond the drift limit is rejected and the clock is unchanged', () => {
    const clock = clockAt(1000, 3);
    const before = clock.last();
    let err: unknown;
    try {
      clock.observe(ts(1101, 0, 99), 1000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ClockDriftError);
    expect(err).toMatchObject({
      code: 'CLOCK_DRIFT',
      retryable: true,
      details: { remoteWallMs: 1101, physicalMs: 1000, maxDriftMs: 100, remoteNode: 99 },
    });
    expect(clock.last()).toEqual(before);
    expect(clock.now(1000)).toEqual(ts(1000, 4));
  });

  test('bad inputs: programmer mistakes are RangeErrors, bad remote fields InvalidTimestampError', () => {
    const clock = clockAt(1000, 0);
    expect(() => clock.now(-1)).toThrow(RangeError);
    expect(() => clock.now(1.5)).toThrow(RangeError);
    expect(() => clock.now(Number.NaN)).toThrow(RangeError);
    expect(() => clock.observe(ts(1000, LOGICAL_MAX + 1, 1), 1000)).toThrow(InvalidTimestampError);
    expect(() => clock.observe(ts(-5, 0, 1), 1000)).toThrow(InvalidTimestampError);
    expect(() => clock.observe(ts(1000, 0, 2 ** 32), 1000)).toThrow(InvalidTimestampError);
    expect(clock.last()).toEqual(ts(1000, 0));
    expect(() => new HybridLogicalClock({ node: -1, maxDriftMs: 1 })).toThrow(RangeError);
    expect(() => new HybridLogicalClock({ node: 1, maxDriftMs: -1 })).toThrow(RangeError);
  });

  test('defaults: a fresh clock starts at zero with its own node tag', () => {
    const clock = new HybridLogicalClock({ node: 42, maxDriftMs: DEFAULT_MAX_DRIFT_MS });
    expect(clock.last()).toEqual({ wallMs: 0, logical: 0, node: 42 });
    expect(DEFAULT_MAX_DRIFT_MS).toBe(500);
  });
});

// A random life of a clock: the physical clock moves forward, stalls or jumps backwards between
// calls; remote timestamps arrive from behind, near, and beyond the drift limit, sometimes with a
// logical counter near its maximum so overflow happens.
type Step =
  | { kind: 'now'; deltaMs: number }
  | { kind: 'observe'; deltaMs: number; offsetMs: number; logical: number; node: number };

const MAX_DRIFT = 50;
const deltaArb = fc.oneof(
  fc.constant(0), // stall
  fc.integer({ min: 1, max: 5 }), // forward
  fc.integer({ min: 100, max: 3000 }), // jump forward
  fc.integer({ min: -3000, max: -1 }), // jump backwards
);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('now' as const), deltaMs: deltaArb }),
  fc.record({
    kind: fc.constant('observe' as const),
    deltaMs: deltaArb,
    offsetMs: fc.oneof(fc.integer({ min: -500, max: MAX_DRIFT }), fc.integer({ min: MAX_DRIFT + 1, max: MAX_DRIFT + 200 })),
    logical: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: LOGICAL_MAX - 3, max: LOGICAL_MAX })),
    node: fc.integer({ min: 0, max: 20 }),
  }),
);

describe('HybridLogicalClock properties', () => {
  test('strictly monotonic, after every accepted remote, wall bounded, rejections change nothing', () => {
    let rejectedTotal = 0;
    let overflowTotal = 0;
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 120 }), fc.integer({ min: 0, max: 20 }), (steps, node) => {
        const clock = new HybridLogicalClock({ node, maxDriftMs: MAX_DRIFT });
        let physical = 10_000;
        let maxPhysical = 0;
        let hi = 0; // max(physical seen, accepted remote walls), raised by each overflow
        let overflows = 0;
        let prev = clock.last();
        let seenMax: Timestamp = prev; // every timestamp returned or accepted so far
        for (const step of steps) {
          physical = Math.max(0, physical + step.deltaMs);
          maxPhysical = Math.max(maxPhysical, physical);
          let got: Timestamp;
          let remote: Timestamp | undefined;
          if (step.kind === 'now') {
            got = clock.now(physical);
          } else {
            remote = { wallMs: Math.max(0, physical + step.offsetMs), logical: step.logical, node: step.node };
            if (remote.wallMs > physical + MAX_DRIFT) {
              expect(() => clock.observe(remote!, physical)).toThrow(ClockDriftError);
              expect(clock.last()).toEqual(prev);
              rejectedTotal++;
              continue;
            }
            got = clock.observe(remote, physical);
            expect(compareTimestamps(got, remote)).toBeGreaterThan(0);
          }
          expect(got.node).toBe(node);
          expect(compareTimestamps(got, seenMax)).toBeGreaterThan(0);
          expect(clock.last()).toEqual(got);

          const hiBefore = hi;
          hi = Math.max(hi, physical, remote?.wallMs ?? 0);
          if (got.wallMs > hi) {
            // Only a logical overflow at the top wall may run ahead of every input, by exactly 1 ms.
            const overflowed =
              (prev.wallMs === hi && prev.logical === LOGICAL_MAX) ||
              (remote !== undefined && remote.wallMs === hi && remote.logical === LOGICAL_MAX);
            expect({ overflowed, got, hi }).toEqual({ overflowed: true, got: { wallMs: hi + 1, logical: 0, node }, hi });
            hi = got.wallMs;
            overflows++;
            overflowTotal++;
          } else if (physical > Math.max(prev.wallMs, remote?.wallMs ?? -1)) {
            // Physical time ahead of everything: the wall follows it and the counter resets.
            expect(got).toEqual({ wallMs: physical, logical: 0, node });
          }
          expect(hi).toBeGreaterThanOrEqual(hiBefore);
          expect(got.wallMs).toBeLessThanOrEqual(maxPhysical + MAX_DRIFT + overflows);
          prev = got;
          seenMax = remote && compareTimestamps(remote, got) > 0 ? remote : got;
        }
      }),
      { numRuns: 300 },
    );
    // The generator does reach the rare paths.
    expect(rejectedTotal).toBeGreaterThan(0);
    expect(overflowTotal).toBeGreaterThan(0);
  });

  test('a causal chain of messages between two skewed clocks is ordered', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ localEvents: fc.nat(3), deltaMs: fc.integer({ min: 0, max: 20 }) }), { maxLength: 80 }),
        fc.integer({ min: -40, max: 40 }),
        (hops, skewMs) => {
          const clocks = [
            new HybridLogicalClock({ node: 1, maxDriftMs: MAX_DRIFT }),
            new HybridLogicalClock({ node: 2, maxDriftMs: MAX_DRIFT }),
          ];
          let realMs = 1_000;
          let last: Timestamp | undefined;
          let sender = 0;
          for (const hop of hops) {
            realMs += hop.deltaMs; // real time moves on; each clock is off it by a fixed skew under the drift limit
            const physical = (i: number) => realMs + (i === 1 ? skewMs : 0);
            for (let i = 0; i < hop.localEvents; i++) clocks[sender].now(physical(sender));
            const sent = clocks[sender].now(physical(sender));
            const received = clocks[1 - sender].observe(sent, physical(1 - sender));
            expect(compareTimestamps(received, sent)).toBeGreaterThan(0);
            if (last) expect(compareTimestamps(sent, last)).toBeGreaterThan(0);
            last = received;
            sender = 1 - sender; // the receiver replies: each message causally follows the last
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
