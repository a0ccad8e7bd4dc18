// The replica store's pipeline: whatever the interleaving of applies and reads across event-loop
// turns, and whatever the record cache does (none, constant eviction, complete), each key ends with
// its newest record, reads never go back behind an acknowledged apply, listeners see an unbroken
// chain of changes, and a failed engine write fails that batch and every later one. A stored record
// that does not decode is absent for its own key only; the queue of applies is bounded in bytes.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { RecordCorruptError, compareRecords, decodeRecord, isRingkvError, type StoredRecord } from '@ringkv/core';
import { MemoryEngine, dataKey } from '@ringkv/storage';
import { ReplicaOverloadedError, ReplicaStore } from '../src/replica/replica-store.js';
import { storageId } from '../src/replica/storage-id.js';

const rec = (wallMs: number, node: number, value: string): StoredRecord => ({
  ts: { wallMs, logical: 0, node }, tombstone: false, expiresAtMs: 0, value: new TextEncoder().encode(value),
});
const turn = () => new Promise((r) => setImmediate(r));

/** Stores a record through a store of its own (so the store under test starts with a cold cache). */
async function seed(engine: MemoryEngine, partition: number, key: Uint8Array, record: StoredRecord): Promise<void> {
  const store = new ReplicaStore(engine, { sync: false });
  await store.apply(partition, key, record);
}

/** Flips the last byte of a stored record: its checksum no longer matches. */
async function corrupt(engine: MemoryEngine, partition: number, key: Uint8Array): Promise<void> {
  const stored = (await engine.get(dataKey(partition, key)))!.slice();
  stored[stored.length - 1] ^= 0x01;
  await engine.put(dataKey(partition, key), stored);
}

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
    expect(store.cache.lookup(storageId(dataKey(3, k('there'))))).toBeUndefined();
    expect(store.cache.lookup(storageId(dataKey(3, k('absent'))))).toBeUndefined();
    expect(new TextDecoder().decode((await store.read(3, k('there')))!.value)).toBe('old');
    expect(await store.read(3, k('absent'))).toBeUndefined();
    expect(new TextDecoder().decode(store.cache.lookup(storageId(dataKey(3, k('there'))))!.value)).toBe('old');
    expect(store.cache.lookup(storageId(dataKey(3, k('absent'))))).toBeNull();
    const misses = store.cache.misses;
    expect(new TextDecoder().decode((await store.read(3, k('there')))!.value)).toBe('old');
    expect(await store.read(3, k('absent'))).toBeUndefined();
    expect(store.cache.misses).toBe(misses);
    // An older write loses against the stored record although the cache had it: last write wins.
    expect((await store.apply(3, k('there'), rec(4, 1, 'older'))).applied).toBe(false);
    await engine.close();
  });

  test.each(CACHES)('a record corrupted on disk reads as absent, is reported, and the next write replaces it ($name)', async ({ cacheBytes, cacheMaxEntryBytes }) => {
    const engine = new MemoryEngine();
    await engine.open();
    const k = new TextEncoder().encode('bad');
    await seed(engine, 1, k, rec(5, 1, 'value'));
    await corrupt(engine, 1, k);
    const reported: [number, string, unknown][] = [];
    const store = new ReplicaStore(engine, {
      sync: false, cacheBytes, cacheMaxEntryBytes, onCorrupt: (p, key, err) => reported.push([p, Buffer.from(key).toString(), err]),
    });
    await store.open();
    expect(await store.read(1, k)).toBeUndefined();
    expect(reported).toEqual([[1, 'bad', expect.any(RecordCorruptError)]]);
    // With a cache, absent is what it keeps (the bad bytes are never cached as a record).
    expect(await store.readRaw(1, k)).toBeUndefined();
    expect(reported.length).toBe(cacheBytes === 0 ? 2 : 1);
    // An older record than the lost one is taken: nothing readable is left to lose against.
    const result = await store.apply(1, k, rec(3, 1, 'rewritten'));
    expect(result.applied).toBe(true);
    expect(new TextDecoder().decode(decodeRecord((await engine.get(dataKey(1, k)))!).value)).toBe('rewritten');
    expect(new TextDecoder().decode((await store.read(1, k))!.value)).toBe('rewritten');
    await engine.close();
  });

  test('a corrupt stored record fails neither its batch nor any other key of it', async () => {
    const engine = new MemoryEngine();
    await engine.open();
    const k = (i: number) => new TextEncoder().encode(`k${i}`);
    const N = 20;
    for (let i = 0; i < N; i++) await seed(engine, 0, k(i), rec(1, 1, `old${i}`));
    await corrupt(engine, 0, k(7));
    await corrupt(engine, 0, k(9));
    const reported: string[] = [];
    // No cache: every key is read from the engine, in one batch.
    const store = new ReplicaStore(engine, { sync: false, onCorrupt: (_p, key) => reported.push(Buffer.from(key).toString()) });
    await store.open();
    const changes: [string, StoredRecord | undefined][] = [];
    store.onChange((_p, key, before) => changes.push([Buffer.from(key).toString(), before]));
    let batches = 0;
    const batch = engine.batch.bind(engine);
    engine.batch = (ops, o) => {
      batches++;
      return batch(ops, o);
    };
    const applies = Array.from({ length: N }, (_, i) => store.apply(0, k(i), rec(2, 1, `new${i}`)));
    // A purge of the other corrupt key: there is no record to match, so nothing to delete.
    const purged = store.purge(0, k(9), rec(1, 1, 'old9'));
    const results = await Promise.all(applies);
    expect(await purged).toBe(false);
    expect(batches).toBe(1);
    expect(results.every((r) => r.applied)).toBe(true);
    expect(reported).toEqual(['k7', 'k9']);
    for (let i = 0; i < N; i++) {
      expect(new TextDecoder().decode(decodeRecord((await engine.get(dataKey(0, k(i))))!).value)).toBe(`new${i}`);
    }
    // Listeners saw the corrupt key come from absent, the others from their old record.
    expect(changes.find(([key]) => key === 'k7')![1]).toBeUndefined();
    expect(changes.find(([key]) => key === 'k8')![1]?.ts.wallMs).toBe(1);
    await engine.close();
  });

  test('the apply queue refuses past maxQueueBytes at once, never refuses a purge, and takes applies again once drained', async () => {
    const engine = new MemoryEngine();
    await engine.open();
    const held: (() => void)[] = [];
    const batch = engine.batch.bind(engine);
    engine.batch = (ops, o) => new Promise<void>((resolve, reject) => held.push(() => void batch(ops, o).then(resolve, reject)));
    const maxQueueBytes = 4096;
    const store = new ReplicaStore(engine, { sync: false, maxBatch: 8, cacheBytes: 1 << 20, maxQueueBytes });
    await store.open();
    // Keys of one length: every apply holds the same bytes.
    const k = (i: number) => new TextEncoder().encode(`k${String(i).padStart(4, '0')}`);
    const value = 'v'.repeat(200);
    const outcome: (string | undefined)[] = [];
    const applies = Array.from({ length: 100 }, (_, i) => store.apply(0, k(i), rec(1, 1, value)).then(
      () => { outcome[i] = 'applied'; },
      (err: unknown) => { outcome[i] = isRingkvError(err) ? err.code : String(err); expect(err).toBeInstanceOf(ReplicaOverloadedError); },
    ));
    await turn();
    const accepted = Array.from({ length: 100 }, (_, i) => i).filter((i) => outcome[i] === undefined);
    // The refusals came at once, while the engine still holds the first batch.
    expect(held.length).toBe(1);
    expect(accepted.length).toBeGreaterThan(0);
    expect(outcome.filter((o) => o === 'REPLICA_OVERLOADED').length).toBe(100 - accepted.length);
    // As many as fit: one more would have passed the bound.
    const perApply = store.queuedApplyBytes / accepted.length;
    expect(perApply).toBeGreaterThan(k(0).length + value.length);
    expect(store.queuedApplyBytes).toBeLessThanOrEqual(maxQueueBytes);
    expect(store.queuedApplyBytes + perApply).toBeGreaterThan(maxQueueBytes);
    // A purge is queued (and counted) although the bound is reached.
    const before = store.queuedApplyBytes;
    const purge = store.purge(0, k(0), rec(1, 1, value));
    expect(store.queuedApplyBytes).toBe(before + perApply);
    for (let i = 0; i < 20 && (held.length > 0 || store.queuedApplyBytes > 0); i++) {
      held.splice(0).forEach((go) => go());
      await turn();
    }
    await Promise.all(applies);
    expect(await purge).toBe(true);
    expect(accepted.every((i) => outcome[i] === 'applied')).toBe(true);
    expect(store.queuedApplyBytes).toBe(0);
    // Drained: taken again, and one apply larger than the whole bound goes into an empty queue.
    const again = store.apply(0, k(1000), rec(1, 1, 'x'.repeat(2 * maxQueueBytes)));
    await turn();
    held.splice(0).forEach((go) => go());
    expect((await again).applied).toBe(true);
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
    expect(store.unavailableReason).toBeUndefined();
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
    // Failed applies hold none of the queue's bound; the reason is there for /ready.
    expect(store.queuedApplyBytes).toBe(0);
    expect(store.unavailableReason).toMatch(/disk on fire.*restart/);
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
