// When rounds run: spread over the interval, at most K at once, within the byte budget, and also
// when a peer comes back up.
import { afterEach, describe, expect, test } from '@jest/globals';
import { keyspaceRange } from '@ringkv/storage';
import { TokenBucket } from '../../src/time/token-bucket.js';
import { PeerMessageType } from '../../src/peer/message-types.js';
import { antiEntropyOptions, treeBucketsFor } from '../../src/anti-entropy/anti-entropy-options.js';
import { buildConfig } from '../../src/config/config.js';
import { ManualClock } from '../../../../test/support/manual-clock.js';
import { AeKit, dump, ts, turns, type TestNode } from './ae-test-kit.js';

let kit: AeKit | undefined;
afterEach(async () => {
  await kit?.stopAll();
  kit = undefined;
});

/** Counts the requests a node has in flight at once, and the requests of each type. */
function trackInFlight(n: TestNode): { max: number; total: number; types: Map<number, number> } {
  const stats = { max: 0, total: 0, now: 0, types: new Map<number, number>() };
  const request = n.transport.request.bind(n.transport);
  n.transport.request = async (address, body, timeoutMs) => {
    stats.now++;
    stats.total++;
    stats.types.set(body.type, (stats.types.get(body.type) ?? 0) + 1);
    stats.max = Math.max(stats.max, stats.now);
    try {
      return await request(address, body, timeoutMs);
    } finally {
      stats.now--;
    }
  };
  return stats;
}

describe('TokenBucket', () => {
  test('spends the burst at once, then makes callers wait for the refill', async () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket(clock, 1000, 500);
    await bucket.take(500); // the burst
    let done = false;
    const p = bucket.take(250).then(() => { done = true; });
    await turns();
    expect(done).toBe(false);
    clock.advance(249);
    await turns();
    expect(done).toBe(false);
    clock.advance(1);
    await p;
    expect(bucket.waitedMs).toBe(250);
    expect(new TokenBucket(clock, Infinity, 0).unlimited).toBe(true);
  });

  test('charge() runs into debt without waiting, and the debt delays the next take()', async () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket(clock, 100, 100);
    bucket.charge(300);
    expect(bucket.available()).toBe(-200);
    const p = bucket.take(0);
    clock.advance(2000);
    await p;
    expect(bucket.waitedMs).toBe(2000);
  });
});

describe('the round scheduler', () => {
  test('first rounds of a node spread over the interval instead of firing together', async () => {
    kit = new AeKit({ nodes: 2, partitions: 16, ae: { intervalMs: 10_000, maxConcurrentRounds: 4 } });
    await kit.start();
    const [a] = kit.nodes;
    const firsts: number[] = [];
    for (let t = 0; t < 10_000; t += 250) {
      kit.clock.advance(250);
      await turns();
      await a.ae.idle();
      for (const s of a.ae.status().partitions) {
        const at = s.peers[0]?.lastRoundAtMs;
        if (at !== undefined && at !== null && !firsts.includes(s.partition)) firsts.push(s.partition);
      }
      if (t === 2000) expect(firsts.length).toBeLessThan(16);
    }
    expect(firsts.length).toBe(16); // every partition had its round within one interval
    const times = a.ae.status().partitions.map((s) => s.peers[0].lastRoundAtMs!);
    expect(new Set(times).size).toBeGreaterThan(8);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(kit.clock.nowMs() - 10_000);
  });

  test('at most maxConcurrentRounds rounds run at once', async () => {
    for (const k of [1, 2]) {
      kit = new AeKit({ nodes: 2, partitions: 8, ae: { maxConcurrentRounds: k } });
      await kit.start();
      const [a, b] = kit.nodes;
      for (let i = 0; i < 100; i++) await kit.put(b, `k${i}`, `v${i}`, ts(i));
      const stats = trackInFlight(a);
      for (let p = 0; p < 8; p++) a.ae.trigger(p);
      expect(a.ae.status().queued).toBe(8);
      await a.ae.idle();
      // One request checked the roots of all eight, then the rounds of those that differ ran, k at once.
      expect(stats.types.get(PeerMessageType.MerkleRoots)).toBe(1);
      expect(stats.max).toBe(k);
      expect(stats.total).toBeGreaterThan(8);
      expect(await dump(a.engine)).toEqual(await dump(b.engine));
      await kit.stopAll();
    }
  });

  test('a round keeps to the byte budget: moving N bytes takes at least (N - burst) / rate of clock time', async () => {
    const rate = 2000;
    kit = new AeKit({ nodes: 2, partitions: 1, ae: { bytesPerSecond: rate, pageEntries: 20 } });
    await kit.start();
    const [a, b] = kit.nodes;
    for (let i = 0; i < 200; i++) await kit.put(b, `key-${i}`, 'x'.repeat(100), ts(i));
    let finished = false;
    const round = a.ae.runRound(0, 'n2').then((r) => { finished = true; return r; });
    let advancedMs = 0;
    while (!finished && advancedMs < 120_000) {
      await turns(10);
      if (finished) break;
      kit.clock.advance(500);
      advancedMs += 500;
    }
    const r = await round;
    expect(r.outcome).toBe('exchanged');
    expect(r.keysRepaired).toBe(200);
    // The budget counts entry bytes (keys and records), here all of them coming from b.
    let moved = 0;
    for await (const [k, v] of b.engine.iterate(keyspaceRange('data'))) moved += k.length - 3 + v.length;
    expect(moved).toBeGreaterThan(200 * 100);
    expect(r.finishedAtMs - r.startedAtMs).toBeGreaterThanOrEqual(((moved - rate) / rate) * 1000);
    expect(a.ae.wireBudget.waitedMs).toBeGreaterThan(0);
    expect(await dump(a.engine)).toEqual(await dump(b.engine));
  });

  test('a peer coming back up starts rounds of the partitions it shares with this node', async () => {
    kit = new AeKit({ nodes: 3, partitions: 8, replicas: 2 });
    await kit.start();
    const [a] = kit.nodes;
    await kit.writeWhileDown(a, 'n2', 60);
    await a.ae.idle();
    const ring = a.cluster.ring;
    const shared = a.ae.trees.partitions().filter((p) => ring.preferenceList(p).includes('n2'));
    expect(shared.length).toBeGreaterThan(0);
    for (const s of a.ae.status().partitions) {
      const withN2 = s.peers.find((x) => x.peer === 'n2');
      if (shared.includes(s.partition)) expect(withN2?.outcome).toMatch(/in-sync|exchanged/);
      else expect(withN2).toBeUndefined();
    }
    const n2 = kit.node('n2');
    for (let i = 0; i < 60; i++) {
      const p = kit.partitionOf(`k${i}`);
      if (shared.includes(p)) expect(await kit.text(n2, `k${i}`)).toBe(`v${i}`);
    }
  });

  test.each([
    [1, 1024], [256, 1024], [512, 512], [1024, 256], [4096, 64], [16384, 16], [65536, 16],
  ])('Q=%i: %i leaf buckets per partition tree (a node\'s trees stay bounded as Q grows)', (q, buckets) => {
    expect(treeBucketsFor(q)).toBe(buckets);
    expect(antiEntropyOptions(buildConfig({ id: 'n1', partitions: q })).buckets).toBe(buckets);
  });

  test('antiEntropy: passive starts no round when a peer comes back, yet answers the rounds an active peer starts', async () => {
    const passive = antiEntropyOptions(buildConfig({ id: 'n1', antiEntropy: 'passive' }));
    expect(passive.manual).toBe(true);
    expect(antiEntropyOptions(buildConfig({ id: 'n1' })).manual).toBe(false);
    kit = new AeKit({ nodes: 2, partitions: 4, replicas: 2 });
    await kit.start();
    const a = await kit.restart('n1', { manual: passive.manual });
    const b = kit.node('n2');
    await kit.writeWhileDown(a, 'n2', 20);
    await a.ae.idle();
    expect(a.ae.status().partitions.flatMap((s) => s.peers)).toEqual([]);
    expect(await kit.text(b, 'k0')).toBeUndefined();
    // n2 is active: its rounds with the passive n1 still bring it every key.
    b.liveness.setUp('n1', true);
    b.liveness.setUp('n1', false);
    b.liveness.setUp('n1', true);
    await b.ae.idle();
    for (let i = 0; i < 20; i++) expect(await kit.text(b, `k${i}`)).toBe(`v${i}`);
  });
});
