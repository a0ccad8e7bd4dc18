// The replica store's pipeline: whatever the interleaving of applies across event-loop turns, each
// key ends with its newest record, listeners see an unbroken chain of changes, and a failed engine
// write fails that batch and every later one.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { compareRecords, type StoredRecord } from '@ringkv/core';
import { MemoryEngine } from '@ringkv/storage';
import { ReplicaStore } from '@ringkv/server';

const rec = (wallMs: number, node: number, value: string): StoredRecord => ({
  ts: { wallMs, logical: 0, node }, tombstone: false, expiresAtMs: 0, value: new TextEncoder().encode(value),
});
const turn = () => new Promise((r) => setImmediate(r));

describe('ReplicaStore', () => {
  test('concurrent applies over many turns leave each key with its newest record', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ key: fc.integer({ min: 0, max: 4 }), wall: fc.integer({ min: 1, max: 50 }), node: fc.integer({ min: 1, max: 3 }), gap: fc.boolean() }), { minLength: 1, maxLength: 120 }),
      async (ops) => {
        const engine = new MemoryEngine();
        await engine.open();
        const store = new ReplicaStore(engine, { sync: false, maxBatch: 7 });
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
          applied.push(store.apply(0, new TextEncoder().encode(`k${op.key}`), r));
          const cur = newest.get(op.key);
          if (!cur || compareRecords(r, cur) > 0) newest.set(op.key, r);
          if (op.gap) await turn();
        }
        await Promise.all(applied);
        await store.drain();
        for (const [key, r] of newest) {
          const stored = await store.read(0, new TextEncoder().encode(`k${key}`));
          expect(stored && compareRecords(stored, r)).toBe(0);
        }
        expect(broken).toBe('');
        await engine.close();
      },
    ), { numRuns: 80 });
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
});
