// Trees rebuilt from storage after a restart equal the trees kept live, even while writes land
// during the rebuild; a partition being rebuilt takes no part in rounds until it is done.
import { immediateTurn } from '../../src/clock.js';
import { afterEach, expect, test } from '@jest/globals';
import { PartitionTree, decodeRecordHeader } from '@ringkv/core';
import { MemoryEngine, dataKey, partitionRange } from '@ringkv/storage';
import { pino } from 'pino';
import { PartitionTrees } from '../../src/anti-entropy/partition-trees.js';
import { TokenBucket } from '../../src/time/token-bucket.js';
import { rebuildTree } from '../../src/anti-entropy/tree-rebuild.js';
import { ReplicaStore } from '../../src/replica/replica-store.js';
import { PartitionReader } from '../../src/replica/partition-reader.js';
import { ManualClock } from '../../../../test/support/manual-clock.js';
import { AeKit, dump, ts, type TestNode } from './ae-test-kit.js';

let kit: AeKit | undefined;
afterEach(async () => {
  await kit?.stopAll();
  kit = undefined;
});

/** The tree of a partition computed from a full scan of the engine (the reference). */
async function scannedTree(engine: MemoryEngine, partition: number, shape: { buckets: number; fanout: number }): Promise<PartitionTree> {
  const entries = [];
  for await (const [k, v] of engine.iterate(partitionRange('data', partition))) entries.push({ key: k.subarray(3), ...decodeRecordHeader(v) });
  return PartitionTree.fromEntries(shape, entries);
}

async function expectTreesMatchStorage(n: TestNode): Promise<void> {
  for (const p of n.ae.trees.partitions()) {
    const live = n.ae.trees.ready(p)!;
    const reference = await scannedTree(n.engine, p, n.ae.trees.shape);
    expect(live.level(live.leafDepth)).toEqual(reference.level(reference.leafDepth));
    expect(live.root()).toBe(reference.root());
    expect(live.size).toBe(reference.size);
  }
}

test('the tree kept from store changes equals one built from storage', async () => {
  kit = new AeKit({ nodes: 1, partitions: 4 });
  await kit.start();
  const [a] = kit.nodes;
  for (let i = 0; i < 300; i++) await kit.put(a, `k${i % 120}`, `v${i}`, ts(i));
  for (let i = 0; i < 30; i++) await kit.del(a, `k${i * 3}`, ts(1000 + i));
  await expectTreesMatchStorage(a);
});

test('a restarted node rebuilds trees equal to the live ones, with writes landing during the rebuild', async () => {
  kit = new AeKit({ nodes: 1, partitions: 2, ae: { pageEntries: 8 } });
  await kit.start();
  const [first] = kit.nodes;
  for (let i = 0; i < 400; i++) await kit.put(first, `k${String(i).padStart(3, '0')}`, `v${i}`, ts(i));
  const liveRoots = first.ae.trees.partitions().map((p) => first.ae.trees.ready(p)!.root());

  const a = await kit.restart('n1');
  expect(a.ae.trees.partitions().some((p) => a.ae.trees.isRebuilding(p))).toBe(true);
  // Writes race the rebuild: updates of scanned and unscanned keys, new keys, deletes.
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < 300; i++) {
    const key = `k${String((i * 37) % 500).padStart(3, '0')}`;
    writes.push(i % 7 === 0 ? kit.del(a, key, ts(10_000 + i)) : kit.put(a, key, `w${i}`, ts(10_000 + i)));
    if (i % 20 === 0) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(writes);
  await a.ae.whenRebuilt();
  for (const p of a.ae.trees.partitions()) expect(a.ae.trees.isRebuilding(p)).toBe(false);
  await expectTreesMatchStorage(a);
  // And without writes the rebuilt roots are the ones the previous incarnation had.
  const b = await kit.restart('n1');
  await b.ae.whenRebuilt();
  const again = await Promise.all(b.ae.trees.partitions().map(async (p) => (await scannedTree(b.engine, p, b.ae.trees.shape)).root()));
  expect(b.ae.trees.partitions().map((p) => b.ae.trees.ready(p)!.root())).toEqual(again);
  expect(liveRoots).toHaveLength(2);
});

test('a partition still being rebuilt answers "not ready" and is compared once rebuilt', async () => {
  kit = new AeKit({ nodes: 2, partitions: 1, ae: { pageEntries: 10 } });
  await kit.start();
  const [a] = kit.nodes;
  for (let i = 0; i < 100; i++) await kit.put(a, `k${i}`, `v${i}`, ts(i));
  await a.ae.syncPartition(0);
  // n2 restarts with a scan budget of 10 entries per second: its rebuild waits on the clock.
  const b = await kit.restart('n2', { scanEntriesPerSecond: 10 });
  await new Promise((r) => setImmediate(r));
  expect(b.ae.trees.isRebuilding(0)).toBe(true);
  expect((await a.ae.syncPartition(0)).map((r) => r.outcome)).toEqual(['peer-not-ready']);
  expect((await b.ae.syncPartition(0)).map((r) => r.outcome)).toEqual(['not-ready']);
  for (let i = 0; i < 20 && b.ae.trees.isRebuilding(0); i++) {
    kit.clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  }
  await b.ae.whenRebuilt();
  expect((await a.ae.syncPartition(0)).map((r) => r.outcome)).toEqual(['in-sync']);
  expect(await dump(a.engine)).toEqual(await dump(b.engine));
});

test('memory per partition is bounded by the bucket count', () => {
  expect(PartitionTrees.bytesPerTree({ buckets: 1024, fanout: 16 })).toBe(8 * (1024 + 64 + 4 + 1) + 69);
  expect(PartitionTrees.bytesPerTree({ buckets: 256, fanout: 16 })).toBe(8 * (256 + 16 + 1) + 17);
});

test('partitions gained at a later epoch are rebuilt, also after an epoch that gained none', async () => {
  kit = new AeKit({ nodes: 3, replicas: 2, partitions: 8 });
  await kit.start();
  const [a] = kit.nodes;
  const held = () => a.ae.trees.partitions();
  const before = held();
  // Epoch 2 changes nothing n1 holds: no tree to rebuild.
  await a.cluster.apply({ ...kit.membership, epoch: 2 });
  expect(held()).toEqual(before);
  // Epoch 3 removes n3: n1 gains partitions, whose trees must be built from storage.
  await a.cluster.apply({ ...kit.membership, epoch: 3, members: kit.membership.members.filter((m) => m.id !== 'n3') });
  expect(held().length).toBeGreaterThan(before.length);
  // Bounded turns, not whenRebuilt: with the rebuild never started, whenRebuilt spun on microtasks.
  for (let i = 0; i < 100 && held().some((p) => a.ae.trees.isRebuilding(p)); i++) await new Promise((r) => setImmediate(r));
  expect(held().filter((p) => a.ae.trees.isRebuilding(p))).toEqual([]);
  await a.ae.whenRebuilt();
});

test('a stored record that fails to decode is left out of the rebuilt tree (absent), reported, and stops nothing', async () => {
  const engine = new MemoryEngine();
  await engine.open();
  const store = new ReplicaStore(engine, { sync: false });
  const key = (i: number) => Buffer.from(`k${String(i).padStart(2, '0')}`);
  for (let i = 0; i < 30; i++) await store.apply(0, key(i), { ts: ts(i), tombstone: false, expiresAtMs: 0, value: Buffer.from(`v${i}`) });
  const bad = (await engine.get(dataKey(0, key(7))))!.slice();
  bad[bad.length - 1] ^= 1; // its checksum fails
  await engine.put(dataKey(0, key(7)), bad);
  const trees = new PartitionTrees({ buckets: 16, fanout: 4 });
  trees.add(0);
  const reported: string[] = [];
  const clock = new ManualClock();
  const done = await rebuildTree({
    reader: new PartitionReader(engine), nextTurn: immediateTurn, store, trees, scanBudget: new TokenBucket(clock, Infinity, Infinity), pageEntries: 4, log: pino({ level: 'silent' }),
    stopped: () => false, onCorrupt: (p, k) => reported.push(`${p}/${Buffer.from(k).toString()}`),
  }, 0);
  expect(done).toBe(true);
  expect(reported).toEqual(['0/k07']);
  const good = [];
  for await (const [k, v] of engine.iterate(partitionRange('data', 0))) {
    if (Buffer.from(k.subarray(3)).toString() !== 'k07') good.push({ key: k.subarray(3), ...decodeRecordHeader(v) });
  }
  const reference = PartitionTree.fromEntries(trees.shape, good);
  expect(trees.ready(0)!.root()).toBe(reference.root());
  expect(trees.ready(0)!.size).toBe(29);
  await engine.close();
});

test('empty partitions are rebuilt without an engine iteration each, also with writes landing meanwhile', async () => {
  kit = new AeKit({ nodes: 1, partitions: 512, ae: { pageEntries: 8 } });
  await kit.start();
  const [first] = kit.nodes;
  for (let i = 0; i < 20; i++) await kit.put(first, `k${i}`, `v${i}`, ts(i));
  const held = new Set(Array.from({ length: 20 }, (_, i) => kit!.partitionOf(`k${i}`)));
  let iterations = 0;
  for (const name of ['iterate', 'iterateBatches'] as const) {
    const real = first.engine[name].bind(first.engine) as (...args: unknown[]) => unknown;
    (first.engine as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      iterations++;
      return real(...args);
    };
  }
  const a = await kit.restart('n1');
  await a.ae.whenRebuilt();
  // Three iterations per partition that holds data (its rebuild, the empty one after it, the probe
  // past the empty ones that follow), not one per partition (512).
  expect(iterations).toBeLessThanOrEqual(3 * held.size + 1);
  await expectTreesMatchStorage(a);

  // New keys race the rebuild, most of them in partitions that were empty when it started.
  const b = await kit.restart('n1');
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < 200; i++) {
    writes.push(kit.put(b, `new${i}`, `w${i}`, ts(10_000 + i)));
    if (i % 10 === 0) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(writes);
  await b.ae.whenRebuilt();
  expect(b.ae.trees.partitions().filter((p) => b.ae.trees.isRebuilding(p))).toEqual([]);
  await expectTreesMatchStorage(b);
});
