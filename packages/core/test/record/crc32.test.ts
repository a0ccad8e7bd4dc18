import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { crc32 } from '../../src/util/crc32.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

// Bit-at-a-time CRC-32 straight from the definition: the dumb reference for the table version.
function crc32Bitwise(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32', () => {
  test.each([
    ['', 0x00000000],
    ['a', 0xe8b7be43],
    ['abc', 0x352441c2],
    ['123456789', 0xcbf43926],
    ['message digest', 0x20159d7f],
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ])('known vector %j', (text, want) => {
    expect(crc32(utf8(text))).toBe(want);
  });

  test('known binary vectors', () => {
    expect(crc32(new Uint8Array(32))).toBe(0x190a55ad); // 32 zero bytes
    expect(crc32(new Uint8Array(32).fill(0xff))).toBe(0xff6cab0b); // 32 0xFF bytes
  });

  test('matches the bitwise reference and chains across chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(200), (data, cutAt) => {
        const cut = Math.min(cutAt, data.length);
        const whole = crc32(data);
        expect(whole).toBe(crc32Bitwise(data));
        expect(crc32(data.subarray(cut), crc32(data.subarray(0, cut)))).toBe(whole);
        expect(crc32(data, 0, 0, cut)).toBe(crc32(data.subarray(0, cut)));
      }),
      { numRuns: 200 },
    );
  });

  test('any [start, end) of a view at any byte offset (the 8-byte steps and the tail agree)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(7), fc.nat(100), fc.nat(100), (data, pad, a, b) => {
        const backing = new Uint8Array(pad + data.length);
        backing.set(data, pad);
        const view = backing.subarray(pad);
        const [start, end] = [Math.min(a, b, data.length), Math.min(Math.max(a, b), data.length)];
        expect(crc32(view, 0, start, end)).toBe(crc32Bitwise(data.subarray(start, end)));
      }),
      { numRuns: 300 },
    );
  });
});
