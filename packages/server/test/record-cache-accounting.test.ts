// The record cache's byte count is what its entries cost the process (issue 17 item 5): measured
// against the heap and array-buffer growth of a filled cache, and kept exact (the sum of its live
// entries' costs, never above the cap) under any sequence of operations.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encodeRecord, decodeRecord, partitionOf, type StoredRecord } from '@ringkv/core';
import { dataKey } from '@ringkv/storage';
import { RecordCache, entryCost } from '@ringkv/server';
import { storageId } from '../src/replica/storage-id.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const enc = new TextEncoder();

/** A record as the read path caches it: decoded from the engine's bytes, in a buffer of their own. */
function fromEngine(i: number, valueBytes: number): { id: string; record: StoredRecord } {
  const key = enc.encode(`load-${i}`);
  const id = storageId(dataKey(partitionOf(key, 256), key));
  const bytes = encodeRecord({ ts: { wallMs: Date.now(), logical: i & 0xffff, node: 1 }, tombstone: false, expiresAtMs: 0, value: new Uint8Array(valueBytes).fill(i & 0xff) });
  return { id, record: decodeRecord(Buffer.from(bytes)) };
}

function heapAndBuffers(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe('RecordCache accounting', () => {
  // heapUsed and arrayBuffers leave out malloc's and the heap's own slack, which the cache counts
  // too: its count must be at least what they show, and not wildly more.
  test.each([10, 100, 1000])('the bytes it reports cover the heap and buffers its entries hold (values of %i B)', (valueBytes) => {
    const n = 20_000;
    const cache = new RecordCache(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const before = heapAndBuffers();
    for (let i = 0; i < n; i++) {
      const { id, record } = fromEngine(i, valueBytes);
      cache.set(id, record);
    }
    const grown = heapAndBuffers() - before;
    expect(cache.size).toBe(n);
    expect(cache.sizeBytes).toBeGreaterThanOrEqual(grown);
    expect(cache.sizeBytes).toBeLessThanOrEqual(2 * grown);
  });

  const op = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 15 }), bytes: fc.oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 3000 })), slack: fc.constantFrom(0, 100, 1000) }),
    fc.record({ kind: fc.constant('absent' as const), key: fc.integer({ min: 0, max: 15 }) }),
    fc.record({ kind: fc.constant('lookup' as const), key: fc.integer({ min: 0, max: 15 }) }),
    fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 15 }) }),
  );

  test('it reports the sum of its live entries\' costs and stays within its cap, whatever is done to it', () => {
    fc.assert(fc.property(fc.integer({ min: 2000, max: 20_000 }), fc.boolean(), fc.array(op, { maxLength: 80 }), (maxBytes, complete, ops) => {
      const cache = new RecordCache(maxBytes);
      if (complete) cache.markComplete();
      /** What each cached key's entry should cost, by what was last set for it. */
      const costs = new Map<string, number>();
      for (const o of ops) {
        const id = `key-${o.key}`;
        if (o.kind === 'set') {
          // A value viewing a buffer `slack` bytes larger: the cache copies the value, so only its bytes count.
          const buffer = new Uint8Array(o.bytes + o.slack);
          const value = buffer.subarray(o.slack, o.slack + o.bytes);
          cache.set(id, { ts: { wallMs: 1, logical: 0, node: 1 }, tombstone: false, expiresAtMs: 0, value });
          costs.set(id, entryCost(id, o.bytes));
        } else if (o.kind === 'absent') {
          cache.set(id, null);
          costs.set(id, entryCost(id, null));
        } else if (o.kind === 'lookup') {
          cache.lookup(id);
        } else {
          cache.delete(id);
        }
        // Which keys are cached, asked without marking a use (a lookup would reorder the list).
        let sum = 0;
        let entries = 0;
        for (const [k, cost] of costs) {
          if (cache.has(k)) {
            sum += cost;
            entries++;
          }
        }
        expect(cache.size).toBe(entries);
        expect(cache.sizeBytes).toBe(sum);
        expect(cache.sizeBytes).toBeLessThanOrEqual(maxBytes);
      }
    }), { numRuns: 300 });
  });
});
