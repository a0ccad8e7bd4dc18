import { describe, expect, test } from '@jest/globals';
import {
  DEFAULT_PARTITIONS,
  InvalidRingConfigError,
  hashKey64,
  isValidPartitionCount,
  partitionOf,
  validatePartitionCount,
} from '../../src/ring/index.js';
import { splitmix32 } from './ring-fixtures.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('hashKey64', () => {
  // Pinned: changing the hash (or its seed) would move every key of every existing cluster.
  // '' and 'abc' are xxHash64's published reference values for seed 0.
  test.each([
    ['', 0xef46db3751d8e999n],
    ['a', 0xd24ec4f1a98c6e5bn],
    ['abc', 0x44bc2cf5ad770999n],
    ['hello', 0x26c7827d889f6da3n],
    ['user:42', 0xdc1fea7da8d2d1c2n],
    ['ringkv', 0x45ed7c8ddf0bd92cn],
  ])('xxHash64(%j, seed 0) is pinned', (key, expected) => {
    expect(hashKey64(utf8(key))).toBe(expected);
  });

  test('hashes raw bytes, including a view into a larger buffer', () => {
    const bytes = new Uint8Array([0, 1, 2, 3, 255]);
    expect(hashKey64(bytes)).toBe(0x1ddd75ccfbce5a0bn);
    const view = new Uint8Array([9, 9, 0, 1, 2, 3, 255, 9]).subarray(2, 7);
    expect(hashKey64(view)).toBe(0x1ddd75ccfbce5a0bn);
  });
});

describe('partitionOf', () => {
  test.each([
    ['', 256, 153],
    ['abc', 256, 153],
    ['hello', 256, 163],
    ['user:42', 256, 194],
    ['ringkv', 256, 44],
    ['user:42', 65536, 53698],
    ['user:42', 1, 0],
  ])('partitionOf(%j, %i) = %i', (key, q, expected) => {
    expect(partitionOf(utf8(key), q)).toBe(expected);
  });

  test('is the low bits of the hash, so halving Q folds partitions pairwise', () => {
    const next = splitmix32(7);
    for (let i = 0; i < 200; i++) {
      const key = utf8(`k${next()}`);
      expect(partitionOf(key, 128)).toBe(partitionOf(key, 256) % 128);
      expect(partitionOf(key, 256)).toBe(Number(hashKey64(key) % 256n));
    }
  });

  test('spreads 100k random keys evenly over 256 partitions (chi-square)', () => {
    const q = DEFAULT_PARTITIONS;
    const keys = 100_000;
    const counts = new Array<number>(q).fill(0);
    const next = splitmix32(20261122);
    const key = new Uint8Array(16);
    for (let i = 0; i < keys; i++) {
      for (let j = 0; j < key.length; j += 4) {
        const x = next();
        key[j] = x & 0xff;
        key[j + 1] = (x >>> 8) & 0xff;
        key[j + 2] = (x >>> 16) & 0xff;
        key[j + 3] = x >>> 24;
      }
      counts[partitionOf(key, q)]++;
    }
    const expected = keys / q;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // 255 degrees of freedom: mean 255, standard deviation about 22.6; 6 sigma above is 390.
    expect(chi2).toBeLessThan(390);
    expect(Math.min(...counts)).toBeGreaterThan(expected * 0.8);
    expect(Math.max(...counts)).toBeLessThan(expected * 1.2);
  });

  test('rejects a partition count that is not a valid power of two', () => {
    expect(() => partitionOf(utf8('x'), 100)).toThrow(InvalidRingConfigError);
  });
});

describe('validatePartitionCount', () => {
  test.each([1, 2, 64, 256, 1024, 65536])('accepts %i', (q) => {
    expect(isValidPartitionCount(q)).toBe(true);
    expect(() => validatePartitionCount(q)).not.toThrow();
  });

  test.each([0, -256, 3, 100, 255, 131072, 2.5, Number.NaN, Infinity])('rejects %d with RING_INVALID_CONFIG', (q) => {
    expect(isValidPartitionCount(q)).toBe(false);
    expect(() => validatePartitionCount(q)).toThrow(expect.objectContaining({ code: 'RING_INVALID_CONFIG', name: 'InvalidRingConfigError' }));
  });
});
