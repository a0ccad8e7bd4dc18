// Rounds between in-process replicas: replicas diverged by writes only one of them saw converge in
// one round per pair, in both directions, for missed writes, missed deletes and stale values.
import { afterEach, describe, expect, test } from '@jest/globals';
import { AeKit, counter, dump, ts } from './ae-test-kit.js';

let kit: AeKit | undefined;
afterEach(async () => {
  await kit?.stopAll();
  kit = undefined;
});

describe('a round between two replicas', () => {
  test('identical replicas are in sync after one request and exchange no entries', async () => {
    kit = new AeKit({ nodes: 2, partitions: 4 });
    await kit.start();
    const [a, b] = kit.nodes;
    for (let i = 0; i < 50; i++) for (const n of [a, b]) await kit.put(n, `k${i}`, `v${i}`, ts(i));
    const before = kit.network.delivered;
    const results = await a.ae.syncPartition(kit.partitionOf('k1'));
    expect(results.map((r) => r.outcome)).toEqual(['in-sync']);
    expect(kit.network.delivered - before).toBe(1); // the roots agree: one MerkleLevel request
    expect(results[0].keysRepaired).toBe(0);
  });

  test('missed writes, stale values and missed deletes converge in both directions', async () => {
    kit = new AeKit({ nodes: 2, partitions: 4 });
    await kit.start();
    const [a, b] = kit.nodes;
    for (let i = 0; i < 200; i++) for (const n of [a, b]) await kit.put(n, `k${i}`, `v${i}`, ts(i));
    await kit.put(a, 'only-a', 'x', ts(1000));          // b missed a write
    await kit.put(b, 'only-b', 'y', ts(1001));          // a missed a write
    await kit.put(a, 'k1', 'newer-on-a', ts(2000));     // b is stale
    await kit.put(b, 'k2', 'newer-on-b', ts(2001));     // a is stale
    await kit.del(a, 'k3', ts(3000));                   // b missed a delete
    await kit.del(b, 'k4', ts(3001));                   // a missed a delete
    await kit.put(a, 'k5', 'resurrect?', ts(4000));     // a write after b's delete wins on both
    await kit.del(b, 'k5', ts(3999));
    expect(await dump(a.engine)).not.toEqual(await dump(b.engine));

    expect(await kit.syncAll()).toBeGreaterThan(0);
    expect(await dump(a.engine)).toEqual(await dump(b.engine));
    expect(await kit.text(b, 'only-a')).toBe('x');
    expect(await kit.text(a, 'only-b')).toBe('y');
    expect(await kit.text(b, 'k1')).toBe('newer-on-a');
    expect(await kit.text(a, 'k2')).toBe('newer-on-b');
    expect((await kit.read(b, 'k3'))?.tombstone).toBe(true);
    expect((await kit.read(a, 'k4'))?.tombstone).toBe(true);
    expect(await kit.text(b, 'k5')).toBe('resurrect?');

    // Nothing left to do: every further round is in sync.
    for (const n of kit.nodes) for (const p of n.ae.trees.partitions()) {
      expect((await n.ae.syncPartition(p)).map((r) => r.outcome)).toEqual(['in-sync']);
    }
    const repairedA = await counter(a.registry, 'ringkv_anti_entropy_keys_repaired_total');
    const repairedB = await counter(b.registry, 'ringkv_anti_entropy_keys_repaired_total');
    expect(repairedA + repairedB).toBe(7); // only-a, only-b and k1..k5, each on the one replica that lacked it
    expect(await counter(a.registry, 'ringkv_anti_entropy_bytes_total', { direction: 'sent' })).toBeGreaterThan(0);
    expect(await counter(a.registry, 'ringkv_anti_entropy_buckets_differing_total')).toBeGreaterThan(0);
  });

  test('a replica that missed a whole partition gets it in pages of bounded size', async () => {
    kit = new AeKit({ nodes: 2, partitions: 1, ae: { pageEntries: 7, scanKeysPerStep: 16, pageBytes: 300, buckets: 16, fanout: 4 } });
    await kit.start();
    const [a, b] = kit.nodes;
    for (let i = 0; i < 300; i++) await kit.put(a, `key-${String(i).padStart(3, '0')}`, `value-${i}`, ts(i));
    for (let i = 0; i < 40; i++) await kit.put(b, `other-${i}`, `b-${i}`, ts(i, 2));
    const [r] = await a.ae.syncPartition(0);
    expect(r.outcome).toBe('exchanged');
    expect(r.keysRepaired).toBe(340);
    expect(await dump(a.engine)).toEqual(await dump(b.engine));
    expect(await dump(a.engine)).toHaveLength(340);
  });

  test('the peer starts the round as well: rounds are symmetric', async () => {
    kit = new AeKit({ nodes: 2, partitions: 2 });
    await kit.start();
    const [a, b] = kit.nodes;
    await kit.put(a, 'x', '1', ts(1));
    await kit.put(b, 'y', '2', ts(2));
    for (const p of b.ae.trees.partitions()) await b.ae.syncPartition(p);
    expect(await dump(a.engine)).toEqual(await dump(b.engine));
  });
});

describe('three replicas', () => {
  test('randomly diverged replicas converge within two passes of rounds', async () => {
    kit = new AeKit({ nodes: 3, partitions: 8 });
    await kit.start();
    let seed = 42;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let i = 0; i < 400; i++) {
      const key = `k${rand(150)}`;
      const wallMs = i;
      const del = rand(10) === 0;
      // Each write reaches a random non-empty subset of the replicas.
      const mask = 1 + rand(7);
      for (let j = 0; j < 3; j++) {
        if ((mask & (1 << j)) === 0) continue;
        if (del) await kit.del(kit.nodes[j], key, ts(wallMs, j + 1));
        else await kit.put(kit.nodes[j], key, `v${i}`, ts(wallMs, j + 1));
      }
    }
    const [a, b, c] = kit.nodes;
    // One pass: every node with every other, every partition. A second pass has nothing to move.
    await kit.syncAll();
    expect(await dump(b.engine)).toEqual(await dump(a.engine));
    expect(await dump(c.engine)).toEqual(await dump(a.engine));
    expect(await kit.syncAll()).toBe(0);
  });
});

describe('anti-entropy and the clock (issue 14: a record a day ahead shadowed every later write)', () => {
  test('records stamped further ahead than the bound are refused by both sides; the rest of the step applies', async () => {
    kit = new AeKit({ nodes: 2, partitions: 1, maxSkewMs: 500 });
    await kit.start();
    const [a, b] = kit.nodes;
    await kit.put(a, 'fine', 'x', ts(-1000));
    await kit.put(a, 'future-a', 'x', ts(86_400_000)); // planted on a directly, as a hostile peer would
    await kit.put(b, 'future-b', 'y', ts(86_400_000));
    await kit.syncAll();
    const keysOf = async (n: typeof a) => (await dump(n.engine)).map((line) => line.split('=')[0]);
    expect(await keysOf(b)).toEqual(['0/fine', '0/future-b']);
    expect(await keysOf(a)).toEqual(['0/fine', '0/future-a']);
  });
});
