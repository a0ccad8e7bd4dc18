// The record cache: least recently used entries go first when over budget, and "complete" (a miss
// means absent) holds only until the cache forgets a stored key.
import { describe, expect, test } from '@jest/globals';
import { encodeRecord } from '@ringkv/core';
import { RecordCache } from '@ringkv/server';

const entry = (value: string) => ({
  bytes: encodeRecord({ ts: { wallMs: 1, logical: 0, node: 1 }, tombstone: false, expiresAtMs: 0, value: new TextEncoder().encode(value) }),
});

describe('RecordCache', () => {
  test('evicts the least recently used entries to stay within its budget', () => {
    const one = entry('x');
    const cost = "a".length + one.bytes.byteLength + 140;
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

  test('decodes an entry once and answers the decoded record', () => {
    const cache = new RecordCache(1 << 20);
    cache.set('k', entry('hello'));
    const e = cache.lookup('k')!;
    const rec = RecordCache.record(e);
    expect(new TextDecoder().decode(rec.value)).toBe('hello');
    expect(RecordCache.record(e)).toBe(rec);
  });

  test('a complete cache answers misses as absent until it evicts a stored key', () => {
    const one = entry('x');
    const cost = "a".length + one.bytes.byteLength + 140;
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
