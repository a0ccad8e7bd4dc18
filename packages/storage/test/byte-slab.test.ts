// Slab-carved byte arrays: each is its own zeroed, non-overlapping range, whatever the sizes.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { allocBytes } from '../src/byte-slab.js';

describe('allocBytes', () => {
  test('arrays never overlap, are zeroed and have the asked length', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(700), { maxLength: 200 }), (sizes) => {
        const arrays = sizes.map((n) => allocBytes(n));
        arrays.forEach((a, i) => {
          expect(a.length).toBe(sizes[i]);
          expect(a.every((b) => b === 0)).toBe(true);
        });
        // Fill each with its index: any overlap would show another array's mark.
        arrays.forEach((a, i) => a.fill((i % 255) + 1));
        arrays.forEach((a, i) => expect(a.every((b) => b === (i % 255) + 1)).toBe(true));
      }),
      { numRuns: 100 },
    );
  });

  test('small arrays share an off-heap slab; large ones get their own buffer', () => {
    // Of three in a row, at most one slab boundary falls between them: two share a slab.
    const [a, b, c] = [allocBytes(10), allocBytes(10), allocBytes(10)];
    expect(a.buffer === b.buffer || b.buffer === c.buffer).toBe(true);
    expect(b.byteOffset % 8).toBe(0);
    expect(allocBytes(4096).byteOffset).toBe(0);
  });
});
