// The record cache: least recently used entries go first when over budget, and "complete" (a miss
// means absent) holds only until the cache forgets a stored key.
import { describe, expect, test } from '@jest/globals';
import type { StoredRecord } from '@ringkv/core';
import { RecordCache, entryCost } from '@ringkv/server';

const record = (value: Uint8Array): StoredRecord => ({ ts: { wallMs: 1, logical: 0, node: 1 }, tombstone: false, expiresAtMs: 0, value });
const entry = (value: string) => record(new TextEncoder().encode(value));

describe('RecordCache', () => {
  test('evicts the least recently used entries to stay within its budget', () => {
    const cost = entryCost('a', 1);
    const cache = new RecordCache(3 * cost, cost);
    cache.set('a', entry('x'));
    cache.set('b', entry('x'));
    cache.set('c', entry('x'));
    expect(cache.lookup('a')).toBeDefined(); // a is now the most recent
    cache.set('d', entry('x'));
    expect(cache.lookup('b')).toBeUndefined();
    for (const id of ['a', 'c', 'd']) expect(cache.lookup(id)).toBeDefined();
    expect(cache.sizeBytes).toBeLessThanOrEqual(3 * cost);
    expect(cache.size).toBe(3);
  });

  test('replacing a cached record keeps its place in the recency order; a lookup moves it', () => {
    const cost = entryCost('a', 1);
    const cache = new RecordCache(2 * cost, cost);
    cache.set('a', entry('x'));
    cache.set('b', entry('x'));
    cache.set('a', entry('y'));
    cache.set('c', entry('x'));
    expect(cache.lookup('a')).toBeUndefined();
    expect(cache.lookup('b')).toBeDefined();
    cache.set('d', entry('x'));
    expect(cache.lookup('c')).toBeUndefined();
    expect(cache.lookup('b')).toBeDefined();
  });

  test('answers the record it was given, value for value', () => {
    const cache = new RecordCache(1 << 20);
    cache.set('k', entry('hello'));
    const rec = cache.lookup('k')!;
    expect(new TextDecoder().decode(rec.value)).toBe('hello');
    expect(rec.ts).toEqual({ wallMs: 1, logical: 0, node: 1 });
  });

  test('keeps a copy of the value, charged by its own bytes, whatever buffer it views', () => {
    const cache = new RecordCache(1 << 20);
    const frame = new Uint8Array(new ArrayBuffer(64 * 1024));
    for (let i = 0; i < 256; i++) frame[1000 + i] = i;
    const given = record(frame.subarray(1000, 1256));
    cache.set('k', given);
    frame.fill(0);
    const kept = cache.lookup('k')!;
    expect(Array.from(kept.value)).toEqual(Array.from({ length: 256 }, (_, i) => i));
    expect(kept.ts).toBe(given.ts);
    expect(cache.sizeBytes).toBe(entryCost('k', 256));
  });

  test('a tombstone and an expiry come back as they went in; "known absent" answers null', () => {
    const cache = new RecordCache(1 << 20);
    const ts = { wallMs: 5, logical: 2, node: 9 };
    cache.set('t', { ts, tombstone: true, expiresAtMs: 0, value: new Uint8Array(0) });
    cache.set('e', { ts, tombstone: false, expiresAtMs: 1234, value: new Uint8Array([1]) });
    cache.set('n', null);
    expect(cache.lookup('t')).toEqual({ ts, tombstone: true, expiresAtMs: 0, value: new Uint8Array(0) });
    expect(cache.lookup('e')).toMatchObject({ tombstone: false, expiresAtMs: 1234 });
    expect(cache.lookup('n')).toBeNull();
    expect(cache.absentEntries).toBe(1);
  });

  test('a complete cache answers misses as absent until it evicts a stored key', () => {
    const cost = entryCost('a', 1);
    const cache = new RecordCache(2 * cost, cost);
    cache.markComplete();
    expect(cache.lookup('nothing')).toBeNull();
    cache.set('a', entry('x'));
    cache.set('b', entry('x'));
    expect(cache.complete).toBe(true);
    cache.set('c', entry('x'));
    expect(cache.complete).toBe(false);
    expect(cache.lookup('a')).toBeUndefined();
  });

  test('a value too large to cache ends completeness and is not kept', () => {
    const cache = new RecordCache(8 * 1024);
    cache.markComplete();
    cache.set('big', entry('v'.repeat(2048)));
    expect(cache.complete).toBe(false);
    expect(cache.lookup('big')).toBeUndefined();
  });

  test('a disabled cache keeps nothing and is never complete', () => {
    const cache = new RecordCache(0);
    cache.markComplete();
    cache.set('a', entry('x'));
    expect(cache.complete).toBe(false);
    expect(cache.lookup('a')).toBeUndefined();
  });

  test('clear() forgets everything, completeness included', () => {
    const cache = new RecordCache(1 << 20);
    cache.markComplete();
    cache.set('a', entry('x'));
    cache.clear();
    expect(cache.complete).toBe(false);
    expect(cache.size).toBe(0);
    expect(cache.sizeBytes).toBe(0);
  });
});
