// The checksum manifest of partition streams and the packing its leaves hash: the root is
// merkle-tools' SHA-256 tree over the chunks' hashes; a manifest whose leaves do not make its
// root is refused, and a chunk passes only at its own index with its exact bytes. The packing
// round-trips and refuses every malformed length, order or range. The source's side cuts chunks
// by bytes and serves a listed chunk only while its range still hashes to the leaf.
import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { encodeRecord, RECORD_MIN_SIZE } from '@ringkv/core';
import { MemoryEngine } from '@ringkv/storage';
import { chunkHash, packChunk, PackedChunkError, unpackChunk } from '../../src/handoff/chunk-codec.js';
import { manifestRoot, VerifiedManifest } from '../../src/handoff/stream-manifest.js';
import { manifestOf, readListedChunk, readManifestChunks } from '../../src/handoff/stream-source.js';
import { PartitionReader } from '../../src/replica/partition-reader.js';
import { ReplicaStore } from '../../src/replica/replica-store.js';

const enc = (s: string) => new TextEncoder().encode(s);
const sha = (...parts: Uint8Array[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const record = (v: string) => encodeRecord({ ts: { wallMs: 1000, logical: 0, node: 1 }, tombstone: false, expiresAtMs: 0, value: enc(v) });
const LIMITS = { maxKeyBytes: 16, minRecordBytes: RECORD_MIN_SIZE, maxRecordBytes: 256 };
const packings = [0, 1, 2, 3, 4].map((i) => packChunk([[enc(`k${i}a`), record(`a${i}`)], [enc(`k${i}b`), record(`b${i}`)]]));
const leaves = packings.map(chunkHash);

describe('stream manifest', () => {
  test('the root is merkle-tools\' SHA-256 tree over the leaves (an odd node is promoted)', () => {
    expect(manifestRoot(leaves.slice(0, 1))).toEqual(leaves[0]);
    expect(manifestRoot(leaves.slice(0, 2))).toEqual(sha(leaves[0]!, leaves[1]!));
    const left = sha(sha(leaves[0]!, leaves[1]!), sha(leaves[2]!, leaves[3]!));
    expect(manifestRoot(leaves)).toEqual(sha(left, leaves[4]!));
    expect(() => manifestRoot([])).toThrow();
  });

  test('a manifest whose leaves do not make its root is refused', () => {
    const root = manifestRoot(leaves);
    expect(VerifiedManifest.of(root, leaves)).toBeDefined();
    const badRoot = Buffer.from(root);
    badRoot[7] ^= 0x10;
    expect(VerifiedManifest.of(badRoot, leaves)).toBeUndefined();
    const badLeaves = leaves.map((l) => Buffer.from(l));
    badLeaves[3]![0] ^= 0x01;
    expect(VerifiedManifest.of(root, badLeaves)).toBeUndefined();
    expect(VerifiedManifest.of(root, [...leaves].reverse())).toBeUndefined();
    expect(VerifiedManifest.of(root, leaves.slice(0, 4))).toBeUndefined();
    expect(VerifiedManifest.of(root, [])).toBeUndefined();
    expect(VerifiedManifest.of(root.subarray(0, 31), leaves)).toBeUndefined();
  });

  test('a chunk passes only at its own index and with its exact bytes', () => {
    const m = VerifiedManifest.of(manifestRoot(leaves), leaves)!;
    packings.forEach((p, i) => expect(m.holds(i, p)).toBe(true));
    expect(m.holds(1, packings[2]!)).toBe(false);
    expect(m.holds(5, packings[0]!)).toBe(false);
    for (const at of [0, 3, packings[2]!.length - 1]) {
      const flipped = Buffer.from(packings[2]!);
      flipped[at] ^= 0x40;
      expect(m.holds(2, flipped)).toBe(false);
    }
    expect(m.holds(2, packings[2]!.subarray(0, packings[2]!.length - 1))).toBe(false);
  });
});

describe('chunk packing', () => {
  const entries: [Uint8Array, Uint8Array][] = [[enc('a'), record('1')], [enc('b'), record('22')], [enc('c'), record('333')]];

  test('round-trips, each entry a view of the packing', () => {
    const packed = packChunk(entries);
    const out = unpackChunk(packed, LIMITS, undefined, enc('c'));
    expect(out.map(([k, v]) => [Buffer.from(k).toString(), Buffer.from(v)])).toEqual(entries.map(([k, v]) => [Buffer.from(k).toString(), Buffer.from(v)]));
    expect(out[0]![0].buffer).toBe(packed.buffer);
    expect(unpackChunk(packChunk([]), LIMITS, undefined, enc('a'))).toEqual([]);
  });

  test('refuses truncation, out-of-bounds lengths, keys out of order or outside (after, last]', () => {
    const packed = packChunk(entries);
    const bad = (bytes: Uint8Array, after?: Uint8Array, last = enc('c')) => expect(() => unpackChunk(bytes, LIMITS, after, last)).toThrow(PackedChunkError);
    bad(packed.subarray(0, packed.length - 1));
    bad(packed.subarray(0, 5));
    const zeroKey = Buffer.from(packed);
    zeroKey.writeUInt32BE(0, 0);
    bad(zeroKey);
    const longKey = Buffer.from(packed);
    longKey.writeUInt32BE(17, 0);
    bad(longKey);
    const shortRecord = Buffer.from(packed);
    shortRecord.writeUInt32BE(RECORD_MIN_SIZE - 1, 5);
    bad(shortRecord);
    const hugeRecord = Buffer.from(packed);
    hugeRecord.writeUInt32BE(0xffffffff, 5);
    bad(hugeRecord);
    bad(packChunk([entries[1]!, entries[0]!]));
    bad(packChunk([entries[0]!, entries[0]!]));
    bad(packed, enc('a'));
    bad(packed, undefined, enc('b'));
  });
});

describe('the source side', () => {
  async function source(keys: number) {
    const engine = new MemoryEngine();
    await engine.open();
    const store = new ReplicaStore(engine, { sync: false });
    for (let i = 0; i < keys; i++) await store.apply(2, enc(`key-${String(i).padStart(3, '0')}`), { ts: { wallMs: 1000, logical: 0, node: 1 }, tombstone: false, expiresAtMs: 0, value: new Uint8Array(40) });
    return { store, reader: new PartitionReader(engine) };
  }

  test('cuts chunks by packed bytes, at most maxChunks, and says when the partition ends', async () => {
    const { reader } = await source(20);
    const all = await readManifestChunks(reader, 2, undefined, 300, 32);
    expect(all.done).toBe(true);
    const counts = all.chunks.map((c) => unpackChunk(c.packed, { ...LIMITS, maxRecordBytes: 1024 }, undefined, c.last).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(20);
    for (const c of all.chunks) expect(c.packed.length).toBeLessThanOrEqual(300);
    const first = await readManifestChunks(reader, 2, undefined, 300, 2);
    expect(first.done).toBe(false);
    expect(first.chunks.map((c) => c.leaf)).toEqual(all.chunks.slice(0, 2).map((c) => c.leaf));
    const rest = await readManifestChunks(reader, 2, first.chunks[1]!.last, 300, 32);
    expect(rest.chunks.map((c) => c.leaf)).toEqual(all.chunks.slice(2).map((c) => c.leaf));
    expect(manifestOf([], true)).toEqual({ chunks: [], done: true });
    expect(manifestOf(all.chunks, true).root).toEqual(manifestRoot(all.chunks.map((c) => c.leaf)));
  });

  test('serves a listed chunk while its range hashes to the leaf, and calls it stale once written', async () => {
    const { store, reader } = await source(12);
    const { chunks } = await readManifestChunks(reader, 2, undefined, 300, 32);
    const second = chunks[1]!;
    expect(await readListedChunk(reader, 2, chunks[0]!.last, second.last, second.leaf, 300)).toEqual(second.packed);
    // Another leaf for the same range: not what was listed.
    expect(await readListedChunk(reader, 2, chunks[0]!.last, second.last, chunks[2]!.leaf, 300)).toBeUndefined();
    const inside = unpackChunk(second.packed, { ...LIMITS, maxRecordBytes: 1024 }, chunks[0]!.last, second.last)[0]![0];
    await store.apply(2, inside, { ts: { wallMs: 2000, logical: 0, node: 1 }, tombstone: false, expiresAtMs: 0, value: new Uint8Array(40) });
    expect(await readListedChunk(reader, 2, chunks[0]!.last, second.last, second.leaf, 300)).toBeUndefined();
  });
});
