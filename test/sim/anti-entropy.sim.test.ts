// Anti-entropy in the deterministic simulator (issue #6 item 5): replicas diverged at random
// (missed writes, missed deletes, stale values) and a node crashed and restarted (its trees rebuilt
// from its engine) converge, with hinted handoff off, within two passes of rounds after healing,
// and without any read. Each pass is one round of every partition of every node with each other
// replica, so the bound is in rounds, whatever the interval.
import { describe, expect, test } from '@jest/globals';
import { encodeRecord, type StoredRecord } from '@ringkv/core';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { DEFAULT_CLUSTER, SimCluster } from './sim-cluster.js';
import { SimNetwork } from './sim-network.js';
import { Trace } from './trace.js';

const PASSES_MAX = 2;

async function scenario(seed: number): Promise<{ passes: number; repaired: number }> {
  const trace = new Trace(50, false);
  const scheduler = new Scheduler(trace);
  const root = new Prng(seed);
  const network = new SimNetwork(scheduler, root.fork('network'));
  const cluster = new SimCluster(scheduler, network, root.fork('cluster'), {
    ...DEFAULT_CLUSTER, nodes: 4, replicas: 3, partitions: 16, hintWindowMs: 0,
  });
  await scheduler.runUntilSettled(cluster.startAll(), 60_000, 'cluster start');
  const rng = root.fork('divergence');
  const ring = cluster.runtime('n1').cluster.ring;
  const keys = Array.from({ length: 80 }, (_, i) => `key-${i}`);
  // Writes and deletes that reach a random subset of each key's replicas (as with w=1 and lost
  // messages): missed writes, missed deletes and stale values.
  const newest = new Map<string, StoredRecord>(); // the reference: the last write of each key that reached anyone
  for (let i = 0; i < 400; i++) {
    const key = rng.pick(keys);
    const bytes = Buffer.from(key);
    const partition = ring.partitionOf(bytes);
    const owners = ring.preferenceList(partition);
    const record: StoredRecord = rng.chance(0.15)
      ? { ts: { wallMs: 1_700_000_000_000 + i, logical: 0, node: 1 }, tombstone: true, expiresAtMs: 0, value: new Uint8Array(0) }
      : { ts: { wallMs: 1_700_000_000_000 + i, logical: 0, node: 1 }, tombstone: false, expiresAtMs: 0, value: Buffer.from(`v${i}`) };
    const reached = owners.filter(() => rng.chance(0.5));
    if (reached.length > 0) newest.set(key, record);
    await scheduler.runUntilSettled(Promise.all(reached.map((o) => cluster.runtime(o).store.apply(partition, bytes, record))), 10_000, 'divergent write');
  }
  // A crash and restart: the node's trees are rebuilt from its engine before it takes part again.
  const victim = rng.pick(cluster.nodes).id;
  cluster.crash(victim);
  await scheduler.runUntil(scheduler.nowMs + 500);
  await scheduler.runUntilSettled(cluster.start(victim), 60_000, `restart of ${victim}`);
  await scheduler.runUntilSettled(cluster.runtime(victim).antiEntropy.whenRebuilt(), 60_000, 'tree rebuild');
  await scheduler.runUntil(scheduler.nowMs + 5000); // liveness sees everyone up

  const replicasOf = async (key: string): Promise<string[]> => {
    const bytes = Buffer.from(key);
    const partition = ring.partitionOf(bytes);
    const recs = await scheduler.runUntilSettled(
      Promise.all(ring.preferenceList(partition).map((o) => cluster.runtime(o).store.readRaw(partition, bytes))), 10_000, 'replica reads',
    );
    return recs.map((r) => (r ? Buffer.from(r).toString('hex') : '-'));
  };
  const diverged = async (): Promise<number> => {
    let n = 0;
    for (const k of keys) if (new Set(await replicasOf(k)).size > 1) n++;
    return n;
  };
  expect(await diverged()).toBeGreaterThan(10);
  let passes = 0;
  let repaired = 0;
  while ((await diverged()) > 0) {
    if (++passes > PASSES_MAX) throw new Error(`seed ${seed}: ${await diverged()} keys still differ after ${PASSES_MAX} passes of rounds`);
    for (const n of cluster.nodes) {
      const ae = cluster.runtime(n.id).antiEntropy;
      for (const p of ae.trees.partitions()) {
        const results = await scheduler.runUntilSettled(ae.syncPartition(p), 60_000, `rounds of ${n.id}/${p}`);
        for (const r of results) {
          expect(r.outcome).toMatch(/in-sync|exchanged/);
          repaired += r.keysRepaired;
        }
      }
    }
  }
  // Every replica holds the newest write: deleted keys stay deleted, stale values are gone.
  for (const k of keys) {
    const want = newest.get(k);
    expect(await replicasOf(k)).toEqual([0, 1, 2].map(() => (want ? Buffer.from(encodeRecord(want)).toString('hex') : '-')));
  }
  return { passes, repaired };
}

describe('anti-entropy in the simulator', () => {
  test.each([1, 2, 3, 4, 5])('seed %i: diverged replicas converge within two passes of rounds', async (seed) => {
    const { passes, repaired } = await scenario(seed);
    expect(passes).toBeGreaterThanOrEqual(1);
    expect(passes).toBeLessThanOrEqual(PASSES_MAX);
    expect(repaired).toBeGreaterThan(0);
  }, 60_000);
});
