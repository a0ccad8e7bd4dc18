// The persisted HLC ceiling: timestamps never go back across a restart, and the ceiling is raised
// ahead of time, so writes in steady state do not wait for its synced write.
import { describe, expect, test } from '@jest/globals';
import { HybridLogicalClock, compareTimestamps, type Timestamp } from '@ringkv/core';
import { MemoryEngine } from '@ringkv/storage';
import { HLC_CEILING_STEP_MS, HlcCeiling, MetaStore, type Clock } from '@ringkv/server';

function fakeClock(start: number): Clock & { ms: number } {
  return { ms: start, nowMs() { return this.ms; }, setTimer: () => ({ cancel() {} }) };
}

/** A node's ceiling over engine, restored as at start-up. */
async function restoredCeiling(engine: MemoryEngine, clock: Clock): Promise<HlcCeiling> {
  const ceiling = new HlcCeiling(new HybridLogicalClock({ node: 1, maxDriftMs: 60_000 }), new MetaStore(engine), clock);
  await ceiling.restore();
  return ceiling;
}

/** A timestamp as a write takes it: after the ceiling above it is synced, when it must be. */
async function stamp(ceiling: HlcCeiling): Promise<Timestamp> {
  const { ts, durable } = ceiling.issue();
  await durable;
  return ts;
}

async function openEngine(): Promise<MemoryEngine> {
  const engine = new MemoryEngine();
  await engine.open();
  return engine;
}

describe('HlcCeiling', () => {
  test('after a restart with the clock set back, timestamps stay above every one issued', async () => {
    const engine = await openEngine();
    const clock = fakeClock(1_000_000);
    const first = await restoredCeiling(engine, clock);
    let last: Timestamp | undefined;
    for (let i = 0; i < 50; i++) {
      clock.ms += 997;
      last = await stamp(first);
    }
    clock.ms -= 40_000; // the machine's clock went back while the node was down
    const second = await restoredCeiling(engine, clock);
    expect(compareTimestamps(await stamp(second), last!)).toBeGreaterThan(0);
  });

  test('past half its step the ceiling is raised in the background; only reaching it makes writes wait', async () => {
    const engine = await openEngine();
    const clock = fakeClock(5_000_000);
    const ceiling = await restoredCeiling(engine, clock);
    await stamp(ceiling); // the first raise, to 5_000_000 + step
    // From here the synced write hangs until released.
    let started = 0;
    let release!: () => void;
    const hung = new Promise<void>((r) => { release = r; });
    const put = engine.put.bind(engine);
    engine.put = async (k, v, o) => {
      started++;
      await hung;
      return put(k, v, o);
    };
    clock.ms += HLC_CEILING_STEP_MS * 0.4;
    await stamp(ceiling);
    expect(started).toBe(0);
    clock.ms += HLC_CEILING_STEP_MS * 0.2;
    await stamp(ceiling); // answered at once although its raise hangs
    expect(started).toBe(1);
    clock.ms += HLC_CEILING_STEP_MS * 0.5; // beyond the ceiling still persisted
    let answered = false;
    const waiting = stamp(ceiling).then(() => { answered = true; });
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(answered).toBe(false);
    release();
    await waiting;
    expect(answered).toBe(true);
  });
});
