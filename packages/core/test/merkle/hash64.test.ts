import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { hashBytes64, hashWords64, murmur32, SEED_HI, SEED_LO, wordsToBigint } from '../../src/merkle/hash64.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('murmur32', () => {
  // Published murmur3 x86_32 test vectors.
  test.each([
    ['', 0, 0x00000000],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['test', 0, 0xba6bd213],
    ['Hello, world!', 1234, 0xfaf6cdb3],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ])('murmur32(%p, %p) = %p', (text, seed, expected) => {
    expect(murmur32(utf8(text), seed)).toBe(expected);
  });
});

describe('hashBytes64', () => {
  test('its two words are murmur32 under the two lane seeds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const out = new Uint32Array(2);
        hashBytes64(bytes, out, 0);
        expect([out[0], out[1]]).toEqual([murmur32(bytes, SEED_HI), murmur32(bytes, SEED_LO)]);
      }),
      { numRuns: 200 },
    );
  });

  test('hashWords64 equals hashBytes64 of the little-endian bytes of the words', () => {
    fc.assert(
      fc.property(fc.uint32Array({ maxLength: 20 }), (words) => {
        const a = new Uint32Array(2);
        const b = new Uint32Array(2);
        hashWords64(words, 0, words.length, a, 0);
        hashBytes64(new Uint8Array(words.buffer, words.byteOffset, words.byteLength), b, 0);
        expect([...a]).toEqual([...b]);
      }),
      { numRuns: 200 },
    );
  });

  test('wordsToBigint puts the high word on top', () => {
    expect(wordsToBigint(1, 2)).toBe(0x1_0000_0002n);
    expect(wordsToBigint(0xffffffff, 0xffffffff)).toBe(2n ** 64n - 1n);
  });
});
