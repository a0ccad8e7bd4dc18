// The receiving side of a manifest pull (handoff/stream-pull.ts) against a source served from a
// real replica (stream-source.ts over a memory engine) through a fake peer rpc: every key arrives
// identical and in bulk, the last key of each chunk is recorded, and the per-chunk checks hold
// (a record stamped too far ahead is refused alone and counted, a key of another partition and
// an undecodable record are skipped and told); a second source's chunks identical to ones applied
// from the first are not fetched.
import { describe, expect, test } from '@jest/globals';
import { Counter, Registry } from 'prom-client';
import pino from 'pino';
import { encodeRecord, partitionOf, type StoredRecord } from '@ringkv/core';
import { MemoryEngine, bytesEqual, dataKey } from '@ringkv/storage';
import { PeerMessageType as T } from '../../src/peer/message-types.js';
import type { PeerRpc } from '../../src/protocol/peer-rpc.js';
import { PartitionReader } from '../../src/replica/partition-reader.js';
import { RecordAdmission } from '../../src/replica/record-admission.js';
import { ReplicaStore } from '../../src/replica/replica-store.js';
import { AppliedChunks, pullPartition, type PullDeps } from '../../src/handoff/stream-pull.js';
import { manifestOf, readListedChunk, readManifestChunks } from '../../src/handoff/stream-source.js';

const Q = 8;
const NOW = 1_000_000_000;
const enc = (s: string) => new TextEncoder().encode(s);
const rec = (wallMs: number, i: number): StoredRecord => ({ ts: { wallMs, logical: i, node: 1 }, tombstone: false, expiresAtMs: 0, value: new Uint8Array(30).fill(i & 0xff) });

/** Keys of one partition, in key order. */
function keysOf(partition: number, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; out.length < n; i++) {
    const k = enc(`key-${String(i).padStart(5, '0')}`);
    if (partitionOf(k, Q) === partition) out.push(k);
  }
  return out;
}

async function engineWith(entries: [Uint8Array, Uint8Array][], partition: number): Promise<MemoryEngine> {
  const engine = new MemoryEngine();
  await engine.open();
  await engine.batch(entries.map(([k, v]) => ({ type: 'put' as const, key: dataKey(partition, k), value: v })));
  return engine;
}

/** An rpc that answers manifests and chunks from `reader`, as a source's topology manager does. */
function sourceRpc(reader: PartitionReader, served = { chunks: 0 }): PeerRpc {
  return {
    async request(_address: string, body: { type: number } & Record<string, unknown>) {
      if (body.type === T.StreamChunk) served.chunks++;
      const msg = body as never as { partition: number; after?: Uint8Array; chunkBytes: number; maxChunks: number; last: Uint8Array; leaf: Uint8Array };
      if (body.type === T.StreamManifest) {
        const { chunks, done } = await readManifestChunks(reader, msg.partition, msg.after, msg.chunkBytes, msg.maxChunks);
        return { type: T.StreamManifestReply, ...manifestOf(chunks, done) };
      }
      if (body.type === T.StreamChunk) {
        const packed = await readListedChunk(reader, msg.partition, msg.after, msg.last, msg.leaf, msg.chunkBytes);
        return packed ? { type: T.StreamChunkReply, stale: false, packed } : { type: T.StreamChunkReply, stale: true };
      }
      throw new Error(`unexpected request ${body.type}`);
    },
  } as unknown as PeerRpc;
}

async function receiver() {
  const engine = new MemoryEngine();
  await engine.open();
  const store = new ReplicaStore(engine, { sync: false, cacheBytes: 1 << 20 });
  await store.open();
  const registry = new Registry();
  const refused = new Counter({ name: 'refused', help: 'refused', labelNames: ['path'], registers: [registry] });
  const admission = new RecordAdmission({ clock: { nowMs: () => NOW, setTimer: () => ({ cancel: () => undefined }) }, maxSkewMs: 60_000, log: pino({ level: 'silent' }), refused });
  return { engine, store, admission, refused };
}

function deps(rpc: PeerRpc, r: Awaited<ReturnType<typeof receiver>>, seen: { lasts: Uint8Array[]; entries: number; bad: string[] }): PullDeps {
  return {
    rpc, store: r.store, admission: r.admission, partitions: Q,
    limits: { maxKeyBytes: 1024, minRecordBytes: 1, maxRecordBytes: 1 << 20 },
    chunkBytes: 600, maxChunks: 3, window: 2, timeoutMs: 1000,
    take: async () => undefined,
    applied: async (entries, _bytes, last) => { seen.entries += entries; seen.lasts.push(last); },
    onBadEntry: (_from, why) => seen.bad.push(why),
    onMismatch: (what) => { throw new Error(`unexpected mismatch: ${what}`); },
    stopped: () => false,
  };
}

/** What a pull saw: chunks applied (their last keys), entries, bad entries. */
const seenOf = () => ({ lasts: [] as Uint8Array[], entries: 0, bad: [] as string[] });

describe('pulling a partition with a manifest', () => {
  test('every key arrives identical, chunk by chunk, each chunk\'s last key recorded in order', async () => {
    const P = 3;
    const entries = keysOf(P, 60).map((k, i) => [k, encodeRecord(rec(NOW - 1000, i))] as [Uint8Array, Uint8Array]);
    const reader = new PartitionReader(await engineWith(entries, P));
    const r = await receiver();
    const seen = { lasts: [] as Uint8Array[], entries: 0, bad: [] as string[] };
    expect(await pullPartition(deps(sourceRpc(reader), r, seen), 'src', 'n1', P, undefined)).toBe(true);
    expect(seen.entries).toBe(60);
    expect(seen.bad).toEqual([]);
    // Several manifests of several chunks each, the last one ending at the partition's last key.
    expect(seen.lasts.length).toBeGreaterThan(3);
    expect(bytesEqual(seen.lasts.at(-1)!, entries.at(-1)![0])).toBe(true);
    for (const [k, v] of entries) expect(bytesEqual((await r.engine.get(dataKey(P, k)))!, v)).toBe(true);
    // Resuming after a key pulls only what follows it.
    const again = await receiver();
    const resumed = { lasts: [] as Uint8Array[], entries: 0, bad: [] as string[] };
    expect(await pullPartition(deps(sourceRpc(reader), again, resumed), 'src', 'n1', P, entries[39]![0])).toBe(true);
    expect(resumed.entries).toBe(20);
    expect(await again.engine.get(dataKey(P, entries[39]![0]))).toBeUndefined();
    expect(await again.engine.get(dataKey(P, entries[40]![0]))).toBeDefined();
  });

  test('a record stamped too far ahead is refused alone and counted; a key of another partition and an undecodable record are skipped and told', async () => {
    const P = 5;
    const keys = keysOf(P, 10);
    const foreign = keysOf(P + 1, 1)[0]!;
    const entries: [Uint8Array, Uint8Array][] = keys.map((k, i) => [k, encodeRecord(rec(NOW - 1000, i))]);
    entries[2] = [keys[2]!, encodeRecord(rec(NOW + 86_400_000, 2))];
    const broken = encodeRecord(rec(NOW, 7));
    broken[broken.length - 1] ^= 0xff;
    entries[7] = [keys[7]!, broken];
    entries.push([foreign, encodeRecord(rec(NOW, 99))]);
    // The foreign key sorts among them: stored under P's prefix as a faulty source would.
    entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const reader = new PartitionReader(await engineWith(entries, P));
    const r = await receiver();
    const seen = { lasts: [] as Uint8Array[], entries: 0, bad: [] as string[] };
    expect(await pullPartition(deps(sourceRpc(reader), r, seen), 'src', 'n1', P, undefined)).toBe(true);
    expect(seen.entries).toBe(11);
    expect(seen.bad).toHaveLength(2);
    expect(seen.bad.some((why) => why.startsWith('undecodable record'))).toBe(true);
    expect(seen.bad.some((why) => why.includes(`in a chunk of ${P}`))).toBe(true);
    expect((await r.refused.get()).values).toEqual([expect.objectContaining({ labels: { path: 'stream' }, value: 1 })]);
    expect(await r.engine.get(dataKey(P, keys[2]!))).toBeUndefined();
    expect(await r.engine.get(dataKey(P, keys[7]!))).toBeUndefined();
    expect(await r.engine.get(dataKey(P, foreign))).toBeUndefined();
    for (const i of [0, 1, 3, 4, 5, 6, 8, 9]) expect(await r.engine.get(dataKey(P, keys[i]!))).toBeDefined();
  });

  test('a second source\'s chunks that are the first\'s, byte for byte, are not fetched; one that differs is, and every key ends newest', async () => {
    const P = 2;
    const keys = keysOf(P, 60);
    const first: [Uint8Array, Uint8Array][] = keys.map((k, i) => [k, encodeRecord(rec(NOW - 1000, i))]);
    // The second holds one newer record, in a chunk of its own range.
    const second = first.map(([k, v], i) => [k, i === 30 ? encodeRecord(rec(NOW - 10, i)) : v] as [Uint8Array, Uint8Array]);
    const a = new PartitionReader(await engineWith(first, P));
    const b = new PartitionReader(await engineWith(second, P));
    const r = await receiver();
    const applied = new AppliedChunks();
    const fromA = { chunks: 0 };
    const fromB = { chunks: 0 };
    const seenA = seenOf();
    const seenB = seenOf();
    expect(await pullPartition({ ...deps(sourceRpc(a, fromA), r, seenA), appliedChunks: applied }, 'a', 'n1', P, undefined)).toBe(true);
    expect(await pullPartition({ ...deps(sourceRpc(b, fromB), r, seenB), appliedChunks: applied }, 'b', 'n2', P, undefined)).toBe(true);
    expect(fromA.chunks).toBe(seenA.lasts.length);
    // Only the chunk holding key 30 came from b; every other was skipped, its position recorded.
    expect(fromB.chunks).toBe(1);
    expect(applied.skipped).toBe(seenA.lasts.length - 1);
    expect(seenB.lasts.map((l) => Buffer.from(l).toString())).toEqual(seenA.lasts.map((l) => Buffer.from(l).toString()));
    for (const [k, v] of second) expect(bytesEqual((await r.engine.get(dataKey(P, k)))!, v)).toBe(true);
    // Without the shared record, b's pull fetches every chunk.
    const again = { chunks: 0 };
    expect(await pullPartition(deps(sourceRpc(b, again), await receiver(), seenOf()), 'b', 'n2', P, undefined)).toBe(true);
    expect(again.chunks).toBe(seenA.lasts.length);
  });
});
