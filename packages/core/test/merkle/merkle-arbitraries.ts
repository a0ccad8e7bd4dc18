// Shared generators and a dumb reference model for the Merkle tests.
import fc from 'fast-check';
import type { Timestamp } from '../../src/clock/timestamp.js';
import { bucketOfKey, type EntryDigest, type TreeEntry } from '../../src/merkle/entry-digest.js';

export const arbTimestamp: fc.Arbitrary<Timestamp> = fc.record({
  wallMs: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  logical: fc.integer({ min: 0, max: 0xffff }),
  node: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
});

export const arbDigest: fc.Arbitrary<EntryDigest> = fc.record({ ts: arbTimestamp, tombstone: fc.boolean() });

export const arbKey = fc.uint8Array({ minLength: 1, maxLength: 12 });

/** A set of entries with distinct keys. */
export const arbEntries = (maxLength = 60): fc.Arbitrary<TreeEntry[]> =>
  fc
    .uniqueArray(fc.record({ key: arbKey, ts: arbTimestamp, tombstone: fc.boolean() }), {
      maxLength,
      selector: (e) => hex(e.key),
    })
    .map((es) => es as TreeEntry[]);

/** Tree shapes worth testing: one bucket, uneven top fanout, binary, the default. */
export const arbShape = fc.constantFrom(
  { buckets: 1, fanout: 2 },
  { buckets: 8, fanout: 4 },
  { buckets: 16, fanout: 2 },
  { buckets: 64, fanout: 16 },
  { buckets: 1024, fanout: 16 },
);

export function hex(key: Uint8Array): string {
  return Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Reference: the buckets whose entry sets differ between two key->entry maps. */
export function referenceDiff(a: ReadonlyMap<string, TreeEntry>, b: ReadonlyMap<string, TreeEntry>, buckets: number): number[] {
  const out = new Set<number>();
  const same = (x: TreeEntry, y: TreeEntry): boolean =>
    x.tombstone === y.tombstone && x.ts.wallMs === y.ts.wallMs && x.ts.logical === y.ts.logical && x.ts.node === y.ts.node;
  for (const [k, e] of a) {
    const other = b.get(k);
    if (!other || !same(e, other)) out.add(bucketOfKey(e.key, buckets));
  }
  for (const [k, e] of b) if (!a.has(k)) out.add(bucketOfKey(e.key, buckets));
  return [...out].sort((x, y) => x - y);
}

export function toMap(entries: readonly TreeEntry[]): Map<string, TreeEntry> {
  return new Map(entries.map((e) => [hex(e.key), e]));
}
