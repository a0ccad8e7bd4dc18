// The replica store's pipeline: whatever the interleaving of applies and reads across event-loop
// turns, and whatever the record cache does (none, constant eviction, complete), each key ends with
// its newest record, reads never go back behind an acknowledged apply, listeners see an unbroken
// chain of changes, and a failed engine write fails that batch and every later one.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { RecordCorruptError, compareRecords, type StoredRecord } from '@ringkv/core';
import { MemoryEngine, dataKey } from '@ringkv/storage';
import { ReplicaStore } from '@ringkv/server';

const rec = (wallMs: number, node: number, value: string): StoredRecord => ({
  ts: { wallMs, logical: 0, node }, tombstone: false, expiresAtMs: 0, value: new TextEncoder().encode(value),
});
const turn = () => new Promise((r) => setImmediate(r));

const CACHES = [
  { name: 'no cache', cacheBytes: 0, cacheMaxEntryBytes: undefined },
  // Room for about three entries: every few applies evict something.
  { name: 'a cache that keeps evicting', cacheBytes: 3 * 440, cacheMaxEntryBytes: 440 },
  { name: 'a complete cache', cacheBytes: 1 << 20, cacheMaxEntryBytes: undefined },
];

describe('ReplicaStore', () => {
  test.each(CACHES)('concurrent applies and reads over many turns leave each key with its newest record ($name)', async ({ cacheBytes, cacheMaxEntryBytes }) => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({
        key: fc.integer({ min: 0, max: 4 }), wall: fc.integer({ min: 1, max: 50 }), node: fc.integer({ min: 1, max: 3 }),
        gap: fc.boolean(), read: fc.boolean(),
      }), { minLength: 1, maxLength: 120 }),
      async (ops) => {
        const engine = new MemoryEngine();
        await engine.open();
        const store = new ReplicaStore(engine, { sync: false, maxBatch: 7, cacheBytes, cacheMaxEntryBytes });
        await store.open();
        // The newest record of each key whose apply has resolved: a read issued later must not be older.
        const acked = new Map<number, StoredRecord>();
        const reads: Promise<void>[] = [];
        const chain = new Map<string, StoredRecord | undefined>();
        let broken = '';
        store.onChange((p, key, before, next) => {
          const id = `${p}/${new TextDecoder().decode(key)}`;
          if ((chain.get(id) && !before) || (before && compareRecords(chain.get(id)!, before) !== 0)) broken = `${id}: listener saw a gap`;
          chain.set(id, next);
        });
        const applied: Promise<unknown>[] = [];
        const newest = new Map<number, StoredRecord>();
        for (const op of ops) {
          const r = rec(op.wall, op.node, `${op.key}@${op.wall}.${op.node}`);
          applied.push(store.apply(0, new TextEncoder().encode(`k${op.key}`), r).then((res) => {
            const seen = acked.get(op.key);
            if (!seen || compareRecords(res.current, seen) > 0) acked.set(op.key, res.current);
          }));
          if (op.read) {
            const floor = acked.get(op.key);
            // The cache's answer without waiting, when it has one, obeys the same floor.
            const cached = store.readCached(0, new TextEncoder().encode(`k${op.key}`));
            if (cached !== undefined && floor && (!cached || compareRecords(cached, floor) < 0)) broken = `k${op.key}: readCached went back behind an acknowledged apply`;
            reads.push(store.read(0, new TextEncoder().encode(`k${op.key}`)).then((got) => {
              if (floor && (!got || compareRecords(got, floor) < 0)) broken = `k${op.key}: a read went back behind an acknowledged apply`;
            }));
          }
          const cur = newest.get(op.key);
          if (!cur || compareRecords(r, cur) > 0) newest.set(op.key, r);
          if (op.gap) await turn();
        }
        await Promise.all(applied);
        await Promise.all(reads);
        await store.drain();
        for (const [key, r] of newest) {
          const stored = await store.read(0, new TextEncoder().encode(`k${key}`));
          expect(stored && compareRecords(stored, r)).toBe(0);
        }
        expect(broken).toBe('');
        // What the cache answers is what the engine holds.
        for (const key of newest.keys()) {
          const onDisk = await engine.get(dataKey(0, new TextEncoder().encode(`k${key}`)));
          const stored = await store.readRaw(0, new TextEncoder().encode(`k${key}`));
          expect(stored && Buffer.from(stored).equals(Buffer.from(onDisk!))).toBe(true);
        }
        await engine.close();
      },
    ), { numRuns: 80 });
  });

  test('a store opened over existing data reads it from the engine, and caches what it read', async () => {
    const engine = new MemoryEngine();
    await engine.open();
    const k = (s: string) => new TextEncoder().encode(s);
    const first = new ReplicaStore(engine, { sync: false });
    await first.open();
    await first.apply(3, k('there'), rec(5, 1, 'old'));
    const store = new ReplicaStore(engine, { sync: false, cacheBytes: 1 << 20 });
    await store.open();
    expect(store.cache.complete).toBe(false);
    // Only the engine can tell yet.
    expect(store.readCached(3, k('there'))).toBeUndefined();
    expect(store.readCached(3, k('absent'))).toBeUndefined();
    expect(new TextDecoder().decode((await store.read(3, k('there')))!.value)).toBe('old');
    expect(await store.read(3, k('absent'))).toBeUndefined();
    expect(new TextDecoder().decode(store.readCached(3, k('there'))!.value)).toBe('old');
    expect(store.readCached(3, k('absent'))).toBeNull();
    const misses = store.cache.misses;
    expect(new TextDecoder().decode((await store.read(3, k('there')))!.value)).toBe('old');
    expect(await store.read(3, k('absent'))).toBeUndefined();
    expect(store.cache.misses).toBe(misses);
    // An older write loses against the stored record although the cache had it: last write wins.
    expect((await store.apply(3, k('there'), rec(4, 1, 'older'))).applied).toBe(false);
    await engine.close();
  });

  test('a record corrupted on disk is refused on every read, never cached as good', async () => {
    const engine = new MemoryEngine();
    await engine.open();
    const k = new TextEncoder().encode('bad');
    const first = new ReplicaStore(engine, { sync: false });
    await first.open();
    await first.apply(1, k, rec(5, 1, 'value'));
    const stored = (await engine.get(dataKey(1, k)))!.slice();
    stored[stored.length - 1] ^= 0x01; // the checksum no longer matches
    await engine.put(dataKey(1, k), stored);
    const store = new ReplicaStore(engine, { sync: false, cacheBytes: 1 << 20 });
    await store.open();
    await expect(store.read(1, k)).rejects.toBeInstanceOf(RecordCorruptError);
    // The cache trusts what it holds (no checksum on a hit): the bad bytes must not be in it.
    await expect(store.read(1, k)).rejects.toBeInstanceOf(RecordCorruptError);
    await expect(store.readRaw(1, k)).rejects.toBeInstanceOf(RecordCorruptError);
    await engine.close();
  });

  test('a read that raced a commit does not leave its older value in the cache', async () => {
    const engine = new MemoryEngine();
    await engine.open();
    const k = (s: string) => new TextEncoder().encode(s);
    const seed = new ReplicaStore(engine, { sync: false });
    await seed.apply(0, k('k'), rec(1, 1, 'v1'));
    const store = new ReplicaStore(engine, { sync: false, cacheBytes: 1 << 20 });
    await store.open();
    // The engine answers the first read with what it held when asked, but only once released.
    let release!: () => void;
    const released = new Promise<void>((r) => { release = r; });
    const getMany = engine.getMany.bind(engine);
    let calls = 0;
    engine.getMany = async (keys) => {
      const values = await getMany(keys);
      if (++calls === 1) await released;
      return values;
    };
    const racing = store.read(0, k('k'));
    await turn();
    await store.apply(0, k('k'), rec(2, 1, 'v2'));
    release();
    expect(new TextDecoder().decode((await racing)!.value)).toBe('v1');
    expect(new TextDecoder().decode((await store.read(0, k('k')))!.value)).toBe('v2');
    await engine.close();
  });

  test('a store opened empty has a complete cache: no lookup goes to the engine', async () => {
    const engine = new MemoryEngine();
    await engine.open();
    const store = new ReplicaStore(engine, { sync: false, cacheBytes: 1 << 20 });
    await store.open();
    expect(store.cache.complete).toBe(true);
    let engineReads = 0;
    const getMany = engine.getMany.bind(engine);
    engine.getMany = (keys) => {
      engineReads++;
      return getMany(keys);
    };
    const k = (s: string) => new TextEncoder().encode(s);
    await store.apply(0, k('a'), rec(1, 1, 'a'));
    await store.apply(0, k('a'), rec(2, 1, 'a2'));
    expect(new TextDecoder().decode((await store.read(0, k('a')))!.value)).toBe('a2');
    expect(await store.read(0, k('b'))).toBeUndefined();
    expect(engineReads).toBe(0);
    expect(await store.purge(0, k('a'), rec(2, 1, 'a2'))).toBe(true);
    expect(await store.read(0, k('a'))).toBeUndefined();
    expect(await engine.get(dataKey(0, k('a')))).toBeUndefined();
    await engine.close();
  });

  test('a failed engine write rejects its batch and every batch after it', async () => {
    const engine = new MemoryEngine();
    await engine.open();
    const store = new ReplicaStore(engine, { sync: false, maxBatch: 1 });
    const realBatch = engine.batch.bind(engine);
    let calls = 0;
    engine.batch = (ops, o) => (++calls === 2 ? Promise.reject(new Error('disk on fire')) : realBatch(ops, o));
    const k = (s: string) => new TextEncoder().encode(s);
    const results = await Promise.allSettled([
      store.apply(0, k('a'), rec(1, 1, 'a')),
      store.apply(0, k('b'), rec(1, 1, 'b')),
      store.apply(0, k('c'), rec(1, 1, 'c')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    await expect(store.apply(0, k('d'), rec(1, 1, 'd'))).rejects.toThrow('disk on fire');
    expect(await store.read(0, k('c'))).toBeUndefined();
    await engine.close();
  });
  test.each(CACHES)('keys that share a prefix, short or longer than 4 KiB, stay apart ($name)', async ({ cacheBytes, cacheMaxEntryBytes }) => {
    const engine = new MemoryEngine();
    await engine.open();
    const store = new ReplicaStore(engine, { sync: false, cacheBytes, cacheMaxEntryBytes });
    await store.open();
    const long = 'k'.repeat(5000);
    const keys = ['k', 'kk', 'k\u00ff', long, `${long}k`, `${long}\u00ff`].map((t) => new TextEncoder().encode(t));
    await Promise.all(keys.map((key, i) => store.apply(0, key, rec(1, 1, `v${i}`))));
    for (const [i, key] of keys.entries()) {
      expect(new TextDecoder().decode((await store.read(0, key))!.value)).toBe(`v${i}`);
    }
    expect(await store.read(0, new TextEncoder().encode(`${long}x`))).toBeUndefined();
    await engine.close();
  });
  test('a batch prepared while an earlier one is written keeps its winners, even if that write lands during its reads', async () => {
    // Batches of two; no cache, so each batch reads the engine. Engine calls are held until released.
    const engine = new MemoryEngine();
    await engine.open();
    const held = { batch: [] as (() => void)[], read: [] as (() => void)[] };
    const hold = <T>(queue: (() => void)[], run: () => Promise<T>) => new Promise<T>((resolve, reject) => queue.push(() => void run().then(resolve, reject)));
    const release = (queue: (() => void)[]) => queue.splice(0).forEach((go) => go());
    const gated = Object.assign(Object.create(engine) as MemoryEngine, {
      batch: (...args: Parameters<MemoryEngine['batch']>) => hold(held.batch, () => engine.batch(...args)),
      getMany: (keys: readonly Uint8Array[]) => hold(held.read, () => engine.getMany(keys)),
    });
    const store = new ReplicaStore(gated, { sync: false, maxBatch: 2, cacheBytes: 0 });
    const k = (t: string) => new TextEncoder().encode(t);
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 1000 && !cond(); i++) await turn();
      expect(cond()).toBe(true);
    };
    // Batch 1 (k1 at 10) is prepared and its write held.
    const first = [store.apply(0, k('k1'), rec(10, 1, 'new')), store.apply(0, k('a'), rec(1, 1, 'a'))];
    await until(() => held.read.length === 1);
    release(held.read);
    await until(() => held.batch.length === 1);
    // Batch 2 (an older k1, and a key only the engine knows) is prepared on top while batch 1 is written.
    const second = [store.apply(0, k('k1'), rec(5, 1, 'old')), store.apply(0, k('b'), rec(1, 1, 'b'))];
    await until(() => held.read.length === 1);
    // Batch 1's write lands while batch 2 waits for its read.
    release(held.batch);
    await Promise.all(first);
    release(held.read);
    await until(() => held.batch.length === 1);
    release(held.batch);
    const results = await Promise.all(second);
    expect(results[0].applied).toBe(false);
    const reading = store.read(0, k('k1'));
    await until(() => held.read.length === 1);
    release(held.read);
    expect(new TextDecoder().decode((await reading)!.value)).toBe('new');
    await engine.close();
  });
});
