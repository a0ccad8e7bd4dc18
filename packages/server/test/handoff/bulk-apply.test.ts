// The bulk path of streamed chunks (replica/bulk-guard.ts, ApplyPipeline.enqueueBulk): a chunk of a
// partition that holds nothing but what its own stream wrote is one engine batch with no read
// before write; any other write of the partition (queued before the chunk, during its emptiness
// check, or between two chunks), a partition already holding keys, or another stream's chunks
// make it last-write-wins, so no bulk write ever replaces a newer record. The record cache and
// the change listeners stay exact either way.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { compareRecords, decodeRecord, encodeRecord, type StoredRecord } from '@ringkv/core';
import { MemoryEngine, dataKey, type IterateOptions } from '@ringkv/storage';
import { ReplicaStore, type BulkEntry } from '../../src/replica/replica-store.js';
import { storageId } from '../../src/replica/storage-id.js';

const enc = (s: string) => new TextEncoder().encode(s);
const rec = (wallMs: number, value: string): StoredRecord => ({ ts: { wallMs, logical: 0, node: 1 }, tombstone: false, expiresAtMs: 0, value: enc(value) });
const key = (i: number) => enc(`k${String(i).padStart(3, '0')}`);
const entry = (i: number, r: StoredRecord): BulkEntry => ({ key: key(i), record: r, encoded: encodeRecord(r) });
const P = 3;

/** A memory engine that runs a hook once, inside the first partition scan (the guard's emptiness check). */
class HookedEngine extends MemoryEngine {
  onScan?: () => void;
  override iterate(options?: IterateOptions) {
    const hook = this.onScan;
    this.onScan = undefined;
    hook?.();
    return super.iterate(options);
  }
}

async function stored(engine: MemoryEngine, i: number): Promise<StoredRecord | undefined> {
  const bytes = await engine.get(dataKey(P, key(i)));
  return bytes ? decodeRecord(bytes) : undefined;
}

async function setup(cacheBytes = 1 << 20, cacheMaxEntryBytes?: number) {
  const engine = new HookedEngine();
  await engine.open();
  const store = new ReplicaStore(engine, { sync: false, cacheBytes, maxBatch: 4, ...(cacheMaxEntryBytes ? { cacheMaxEntryBytes } : {}) });
  await store.open();
  return { engine, store };
}

describe('bulk apply of streamed chunks', () => {
  test('a partition the store does not hold takes a chunk in bulk: stored, cached and told to listeners', async () => {
    const { engine, store } = await setup();
    const seen: string[] = [];
    store.onChange((p, k, before, next) => seen.push(`${p}/${new TextDecoder().decode(k)}:${before ? 'old' : 'new'}->${next?.ts.wallMs}`));
    const result = await store.applyBulk({ partition: P, stream: 's1', entries: [entry(1, rec(10, 'a')), entry(2, rec(11, 'b'))] });
    expect(result).toEqual({ bulk: true, applied: 2 });
    expect((await stored(engine, 1))?.ts.wallMs).toBe(10);
    expect((await store.read(P, key(2)))?.value).toEqual(enc('b'));
    expect(seen).toEqual([`${P}/k001:new->10`, `${P}/k002:new->11`]);
    // The same stream's next chunk continues in bulk.
    expect(await store.applyBulk({ partition: P, stream: 's1', entries: [entry(3, rec(12, 'c'))] })).toEqual({ bulk: true, applied: 1 });
  });

  test('a foreground write queued before the first chunk: the chunk is last-write-wins and the newer write stays', async () => {
    const { engine, store } = await setup();
    const fg = store.apply(P, key(1), rec(50, 'foreground'));
    const result = await store.applyBulk({ partition: P, stream: 's1', entries: [entry(1, rec(10, 'streamed')), entry(2, rec(11, 'b'))] });
    await fg;
    expect(result).toEqual({ bulk: false, applied: 1 });
    expect((await stored(engine, 1))?.value).toEqual(enc('foreground'));
    expect((await store.read(P, key(1)))?.value).toEqual(enc('foreground'));
  });

  test('a foreground write between two chunks ends the bulk: the next chunk does not overwrite it', async () => {
    const { engine, store } = await setup();
    expect((await store.applyBulk({ partition: P, stream: 's1', entries: [entry(1, rec(10, 'a'))] })).bulk).toBe(true);
    await store.apply(P, key(5), rec(99, 'foreground'));
    const second = await store.applyBulk({ partition: P, stream: 's1', entries: [entry(4, rec(10, 'x')), entry(5, rec(20, 'older'))] });
    expect(second).toEqual({ bulk: false, applied: 1 });
    expect((await stored(engine, 5))?.value).toEqual(enc('foreground'));
    expect((await store.read(P, key(5)))?.value).toEqual(enc('foreground'));
  });

  test('a foreground write queued during the emptiness check: this chunk may go in bulk, the next may not', async () => {
    const { engine, store } = await setup();
    let fg: Promise<unknown> | undefined;
    engine.onScan = () => { fg = store.apply(P, key(2), rec(99, 'foreground')); };
    const first = await store.applyBulk({ partition: P, stream: 's1', entries: [entry(1, rec(10, 'a')), entry(2, rec(20, 'streamed'))] });
    await fg;
    expect(first.bulk).toBe(true);
    // Queued after the chunk, the write was prepared against the chunk's winner: newer, it won.
    expect((await stored(engine, 2))?.value).toEqual(enc('foreground'));
    const second = await store.applyBulk({ partition: P, stream: 's1', entries: [entry(3, rec(10, 'c'))] });
    expect(second.bulk).toBe(false);
  });

  test('a foreground write queued behind the first chunk before it is prepared: the next chunk does not overwrite it', async () => {
    // Found by the property below: the claim is made as the first chunk is prepared, after the write was queued.
    const { engine, store } = await setup(2000);
    const first = store.applyBulk({ partition: P, stream: 's1', entries: [entry(0, rec(1, 'a'))] });
    const fg = store.apply(P, key(1), rec(2, 'foreground'));
    const second = store.applyBulk({ partition: P, stream: 's1', entries: [entry(1, rec(1, 'older'))] });
    expect((await first).bulk).toBe(true);
    await fg;
    expect(await second).toEqual({ bulk: false, applied: 0 });
    expect((await stored(engine, 1))?.value).toEqual(enc('foreground'));
  });

  test('an older foreground write queued after a bulk chunk loses to the chunk\'s record', async () => {
    const { engine, store } = await setup(0);
    const chunk = store.applyBulk({ partition: P, stream: 's1', entries: [entry(1, rec(50, 'streamed'))] });
    const fg = store.apply(P, key(1), rec(10, 'older'));
    expect((await chunk).bulk).toBe(true);
    expect((await fg).applied).toBe(false);
    expect((await stored(engine, 1))?.value).toEqual(enc('streamed'));
  });

  test('a partition holding keys already (before a restart, say) is last-write-wins from the first chunk', async () => {
    const { engine, store } = await setup();
    await new ReplicaStore(engine, { sync: false }).apply(P, key(1), rec(99, 'on disk'));
    const cold = new ReplicaStore(engine, { sync: false, cacheBytes: 1 << 20 });
    await cold.open();
    const result = await cold.applyBulk({ partition: P, stream: 's1', entries: [entry(1, rec(10, 'older')), entry(2, rec(10, 'b'))] });
    expect(result).toEqual({ bulk: false, applied: 1 });
    expect((await stored(engine, 1))?.value).toEqual(enc('on disk'));
    void store;
  });

  test('a second stream of the same partition (another source) is last-write-wins against the first', async () => {
    const { engine, store } = await setup();
    expect((await store.applyBulk({ partition: P, stream: 'from-a', entries: [entry(1, rec(50, 'a-newer'))] })).bulk).toBe(true);
    const b = await store.applyBulk({ partition: P, stream: 'from-b', entries: [entry(1, rec(10, 'b-older')), entry(2, rec(10, 'b'))] });
    expect(b).toEqual({ bulk: false, applied: 1 });
    expect((await stored(engine, 1))?.value).toEqual(enc('a-newer'));
    // A purge, a hint or a repair goes through apply() and ends the claim the same way.
    store.endBulk(P, 'from-a');
    expect((await store.applyBulk({ partition: P, stream: 'from-a', entries: [entry(3, rec(10, 'c'))] })).bulk).toBe(false);
  });

  test('a complete cache learns a chunk that fits; one a chunk would overflow stops being complete and keeps what it held', async () => {
    const { engine, store } = await setup(2048, 1024);
    await store.apply(P + 1, key(1), rec(5, 'working set'));
    expect(store.cache.complete).toBe(true);
    await store.applyBulk({ partition: P, stream: 's1', entries: [entry(1, rec(10, 'a'))] });
    expect(store.cache.complete).toBe(true);
    expect(store.cache.size).toBe(2);
    // Ten records of 320 bytes' overhead each do not fit in 2 KiB with what is there.
    const big = Array.from({ length: 10 }, (_, i) => entry(2 + i, rec(10, `v${i}`)));
    expect(await store.applyBulk({ partition: P, stream: 's1', entries: big })).toEqual({ bulk: true, applied: 10 });
    expect(store.cache.complete).toBe(false);
    expect(store.cache.size).toBe(2);
    expect(store.cache.lookup(storageId(dataKey(P + 1, key(1))))?.value).toEqual(enc('working set'));
    // Misses now go to the engine, which has every key.
    for (let i = 1; i < 12; i++) expect((await store.read(P, key(i)))?.ts.wallMs).toBe(10);
    expect((await stored(engine, 11))?.value).toEqual(enc('v9'));
  });

  test('an incomplete cache forgets the keys of a bulk chunk it knew absent; with none known absent it is left alone', async () => {
    const { store } = await setup(2048, 1024);
    await store.applyBulk({ partition: P + 1, stream: 's0', entries: Array.from({ length: 12 }, (_, i) => entry(i, rec(1, 'x'))) });
    expect(store.cache.complete).toBe(false);
    expect(store.cache.absentEntries).toBe(0);
    // A read of a key not streamed yet leaves "known absent" behind.
    expect(await store.read(P, key(2))).toBeUndefined();
    expect(store.cache.absentEntries).toBe(1);
    await store.applyBulk({ partition: P, stream: 's1', entries: [entry(1, rec(10, 'a')), entry(2, rec(10, 'b'))] });
    expect(store.cache.absentEntries).toBe(0);
    expect((await store.read(P, key(2)))?.value).toEqual(enc('b'));
    const size = store.cache.size;
    await store.applyBulk({ partition: P, stream: 's1', entries: [entry(3, rec(10, 'c'))] });
    expect(store.cache.size).toBe(size);
    expect((await store.read(P, key(3)))?.value).toEqual(enc('c'));
  });

  test.each([0, 1 << 20, 2000])('any interleaving of foreground writes and streamed chunks leaves each key with its newest record (cache %i bytes)', async (cacheBytes) => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.oneof(
        fc.record({ kind: fc.constant('put' as const), key: fc.integer({ min: 0, max: 11 }), wall: fc.integer({ min: 1, max: 40 }), gap: fc.boolean() }),
        fc.record({ kind: fc.constant('chunk' as const), stream: fc.constantFrom('a', 'b'), size: fc.integer({ min: 1, max: 4 }), wall: fc.integer({ min: 1, max: 40 }), gap: fc.boolean() }),
        // A read leaves the key's record, or "known absent", in the cache.
        fc.record({ kind: fc.constant('read' as const), key: fc.integer({ min: 0, max: 11 }), gap: fc.boolean() }),
      ), { minLength: 1, maxLength: 40 }),
      async (ops) => {
        const engine = new MemoryEngine();
        await engine.open();
        const store = new ReplicaStore(engine, { sync: false, cacheBytes, maxBatch: 3 });
        await store.open();
        const newest = new Map<number, StoredRecord>();
        const offer = (i: number, r: StoredRecord) => {
          const cur = newest.get(i);
          if (!cur || compareRecords(r, cur) > 0) newest.set(i, r);
        };
        // Each stream's chunks cover ascending, disjoint keys (they start after the last one sent).
        const next = { a: 0, b: 0 };
        const pending: Promise<unknown>[] = [];
        let n = 0;
        for (const op of ops) {
          if (op.kind === 'read') {
            pending.push(store.read(P, key(op.key)));
          } else if (op.kind === 'put') {
            const r = rec(op.wall, `p${n++}`);
            offer(op.key, r);
            pending.push(store.apply(P, key(op.key), r));
          } else {
            const from = next[op.stream];
            const keys = Array.from({ length: op.size }, (_, j) => from + j).filter((i) => i < 12);
            next[op.stream] = from + op.size;
            if (keys.length === 0) continue;
            const entries = keys.map((i) => {
              const r = { ...rec(op.wall, `${op.stream}${n++}`), ts: { wallMs: op.wall, logical: 0, node: op.stream === 'a' ? 2 : 3 } };
              offer(i, r);
              return entry(i, r);
            });
            pending.push(store.applyBulk({ partition: P, stream: op.stream, entries }));
          }
          if (op.gap) await new Promise((r) => setImmediate(r));
        }
        await Promise.all(pending);
        await store.drain();
        for (let i = 0; i < 12; i++) {
          const want = newest.get(i);
          const onDisk = await stored(engine, i);
          const read = await store.read(P, key(i));
          expect(onDisk && compareRecords(onDisk, want!)).toBe(want ? 0 : undefined);
          expect(read && compareRecords(read, want!)).toBe(want ? 0 : undefined);
        }
      },
    ), { numRuns: 300 });
  });
});
