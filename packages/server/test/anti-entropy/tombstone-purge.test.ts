// Tombstones go after the grace period, and only once every other replica has completed a round
// since this node found them, so a deleted key cannot come back.
import { immediateTurn } from '../../src/clock.js';
import { afterEach, expect, test } from '@jest/globals';
import { MemoryEngine, dataKey } from '@ringkv/storage';
import { Registry } from 'prom-client';
import { AntiEntropyMetrics } from '../../src/anti-entropy/ae-metrics.js';
import { PartitionTrees } from '../../src/anti-entropy/partition-trees.js';
import { TombstonePurger } from '../../src/anti-entropy/tombstone-purger.js';
import { TokenBucket } from '../../src/time/token-bucket.js';
import { ReplicaStore } from '../../src/replica/replica-store.js';
import { PartitionReader } from '../../src/replica/partition-reader.js';
import { ManualClock } from '../../../../test/support/manual-clock.js';
import { AeKit, T0, counter, dump, ts, type TestNode } from './ae-test-kit.js';

const GRACE_MS = 10_000;
let kit: AeKit | undefined;
afterEach(async () => {
  await kit?.stopAll();
  kit = undefined;
});

async function holds(n: TestNode, key: string): Promise<boolean> {
  return (await dump(n.engine)).some((line) => line.split('=')[0].endsWith(`/${key}`));
}

test('a tombstone younger than the grace period is kept, however many rounds run', async () => {
  kit = new AeKit({ nodes: 3, partitions: 2, ae: { tombstoneGraceMs: GRACE_MS } });
  await kit.start();
  for (const n of kit.nodes) await kit.put(n, 'k', 'v', ts(0));
  for (const n of kit.nodes) await kit.del(n, 'k', ts(1));
  for (let pass = 0; pass < 3; pass++) await kit.syncAll();
  for (const n of kit.nodes) expect(await kit.text(n, 'k')).toBe('(deleted)');
});

test('past grace, a tombstone every replica holds is purged everywhere after two passes of rounds', async () => {
  kit = new AeKit({ nodes: 3, partitions: 2, ae: { tombstoneGraceMs: GRACE_MS } });
  await kit.start();
  for (const n of kit.nodes) await kit.put(n, 'k', 'v', ts(0));
  for (const n of kit.nodes) await kit.del(n, 'k', ts(1));
  kit.clock.advance(GRACE_MS + 1000);
  await kit.syncAll(); // arms: the tombstone is found, rounds since then are still missing
  for (const n of kit.nodes) expect(await holds(n, 'k')).toBe(true);
  await kit.syncAll();
  for (const n of kit.nodes) expect(await holds(n, 'k')).toBe(false);
  expect(await counter(kit.nodes[0].registry, 'ringkv_tombstones_purged_total')).toBe(1);
  // The trees followed the purge: the replicas agree.
  expect(await kit.syncAll()).toBe(0);
});

test('a replica down since before the delete keeps every other replica from purging; once back it is repaired and the key stays deleted', async () => {
  kit = new AeKit({ nodes: 3, partitions: 2, ae: { tombstoneGraceMs: GRACE_MS } });
  await kit.start();
  const [a, b, c] = kit.nodes;
  for (const n of kit.nodes) await kit.put(n, 'k', 'old-value', ts(0));
  // c is down and misses the delete.
  kit.network.setDown(c.address, true);
  for (const n of [a, b]) n.liveness.setUp('n3', false);
  for (const n of [a, b]) await kit.del(n, 'k', ts(1));
  kit.clock.advance(GRACE_MS + 1000);
  for (let pass = 0; pass < 4; pass++) {
    for (const n of [a, b]) for (const p of n.ae.trees.partitions()) await n.ae.syncPartition(p);
  }
  expect(await kit.text(a, 'k')).toBe('(deleted)');
  expect(await kit.text(b, 'k')).toBe('(deleted)');
  const p = kit.partitionOf('k');
  const status = a.ae.status().partitions.find((s) => s.partition === p)!;
  expect(status.peers.find((s) => s.peer === 'n3')?.outcome).toBe('peer-down');
  expect(status.purge?.candidates).toBe(1);

  // c comes back: rounds give it the tombstone, then everyone purges, and the old value never returns.
  kit.network.setDown(c.address, false);
  for (const n of [a, b]) n.liveness.setUp('n3', true); // queues rounds with n3 on a and b
  for (const n of [a, b]) await n.ae.idle();
  await kit.syncAll();
  expect(await kit.text(c, 'k')).not.toBe('old-value');
  for (let pass = 0; pass < 3; pass++) await kit.syncAll();
  for (const n of kit.nodes) expect(await holds(n, 'k')).toBe(false);
  for (let pass = 0; pass < 2; pass++) expect(await kit.syncAll()).toBe(0);
  for (const n of kit.nodes) expect(await kit.read(n, 'k')).toBeUndefined();
});

test('a tombstone that arrives after the last rounds waits for new rounds with every replica', async () => {
  kit = new AeKit({ nodes: 2, partitions: 1, ae: { tombstoneGraceMs: GRACE_MS } });
  await kit.start();
  const [a, b] = kit.nodes;
  for (const n of kit.nodes) await kit.put(n, 'k', 'v', ts(0));
  for (const n of kit.nodes) await kit.put(n, 'other', 'x', ts(0));
  await kit.del(b, 'other', ts(1));
  await kit.del(a, 'other', ts(1));
  kit.clock.advance(GRACE_MS + 1000);
  await a.ae.syncPartition(0); // a's last round with b: both hold k = v
  // A delete far past grace reaches a late (a hint, another replica's round): b has not got it.
  await kit.del(a, 'k', ts(2));
  await a.ae.syncPartition(0); // b gets the tombstone in this round; a arms afterwards
  expect(await kit.text(b, 'k')).toBe('(deleted)');
  expect(await holds(a, 'k')).toBe(true);
  await a.ae.syncPartition(0); // a round with b since the arming: now a may purge
  expect(await holds(a, 'k')).toBe(false);
  expect(await kit.text(b, 'k')).toBe('(deleted)');
  // b's own purge follows its own rounds; the purged tombstone is not sent back to a.
  for (let i = 0; i < 3; i++) await b.ae.syncPartition(0);
  expect(await holds(a, 'k')).toBe(false);
  expect(await holds(b, 'k')).toBe(false);
  expect(await dump(a.engine)).toEqual(await dump(b.engine));
});

test('a stored record that fails to decode is skipped by the arming scan (absent), reported, and the purge goes on', async () => {
  const engine = new MemoryEngine();
  await engine.open();
  const store = new ReplicaStore(engine, { sync: false });
  const trees = new PartitionTrees({ buckets: 16, fanout: 4 });
  trees.add(0);
  trees.finishRebuild(0);
  store.onChange(trees.onChange);
  const put = (key: string, tombstone: boolean) => store.apply(0, Buffer.from(key), { ts: ts(0), tombstone, expiresAtMs: 0, value: Buffer.from(tombstone ? '' : 'v') });
  // Pages of two: the corrupt records sit before, between and after the tombstone to purge.
  for (const key of ['a-live', 'b-tomb', 'c-live', 'd-tomb', 'e-live']) await put(key, key.endsWith('tomb'));
  for (const key of ['a-live', 'd-tomb']) {
    const bad = (await engine.get(dataKey(0, Buffer.from(key))))!.slice();
    bad[bad.length - 1] ^= 1;
    await engine.put(dataKey(0, Buffer.from(key)), bad);
  }
  const clock = new ManualClock(T0);
  const reported: string[] = [];
  const purger = new TombstonePurger({
    reader: new PartitionReader(engine), nextTurn: immediateTurn, store, trees, clock, scanBudget: new TokenBucket(clock, Infinity, Infinity), metrics: new AntiEntropyMetrics(new Registry()),
    graceMs: GRACE_MS, rearmMs: 0, pageEntries: 2, maxCandidates: 100, onCorrupt: (p, k) => reported.push(`${p}/${Buffer.from(k).toString()}`),
  });
  clock.advance(GRACE_MS + 1000);
  await purger.arm(0, () => 1);
  expect(reported).toEqual(['0/a-live', '0/d-tomb']);
  expect(purger.armedOf(0)?.candidates).toBe(1);
  expect(await purger.purgeIfSynced(0, () => true)).toBe(1);
  expect(await engine.get(dataKey(0, Buffer.from('b-tomb')))).toBeUndefined();
  expect(await engine.get(dataKey(0, Buffer.from('c-live')))).toBeDefined();
  await engine.close();
});
