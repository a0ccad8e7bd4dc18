// A joiner's pulls verify each chunk against the stream's checksum manifest (handoff/stream-pull.ts),
// and so do the new owners' pulls from a leaving node (a decommission is pulled too), under simulation: 3 nodes hold 300 keys in 16 partitions of small chunks (several per partition,
// fetched a window ahead), and n4 joins. The network flips a byte of a chunk on its way: once (the
// receiver fetches that chunk again and ends with every key, identical to its source), or in every
// copy of one partition's chunk until the test stops it (the pull fails with
// STREAM_CHECKSUM_MISMATCH, the partition is not received and the joiner not ready; once the
// corruption stops, the pull resumes and the join completes with every key).
import { describe, expect, test } from '@jest/globals';
import { compareRecords } from '@ringkv/core';
import { PeerMessageType as T } from '../../packages/server/src/peer/message-types.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimCluster, DEFAULT_CLUSTER } from './sim-cluster.js';
import { SimNetwork } from './sim-network.js';
import { Trace } from './trace.js';

const enc = (s: string) => new TextEncoder().encode(s);
const KEYS = 300;

interface Packed { type: number; packed?: Uint8Array; stale?: boolean }
interface ChunkRequest { type: number; partition: number; leaf: Uint8Array }

async function joinWithCorruption(seed: number, corrupt: (partition: number, id: string) => boolean, heal?: { afterMs: number }) {
  const scheduler = new Scheduler(new Trace(200, false));
  const network = new SimNetwork(scheduler, new Prng(seed).fork('network'));
  const cluster = new SimCluster(scheduler, network, new Prng(seed).fork('cluster'), {
    ...DEFAULT_CLUSTER, nodes: 3, partitions: 16, antiEntropy: { manual: true },
    // About 40 bytes an entry: several chunks per partition, two chunks ahead.
    config: { streamChunkBytes: 1024, streamWindowChunks: 2, streamParallelPartitions: 3 },
  });
  await scheduler.runUntilSettled(cluster.startAll(), 60_000, 'cluster start');
  const n1 = cluster.runtime('n1');
  for (let i = 0; i < KEYS; i++) {
    await scheduler.runUntilSettled(n1.coordinator.put(enc(`key-${i}`), enc(`value-${i}-${'x'.repeat(i % 20)}`), { w: 'all' }), 10_000, `put ${i}`);
  }
  // Every chunk n4 is served, counted per (partition, leaf); the chosen ones corrupted on the way.
  const fetches = new Map<string, number>();
  let corrupted = 0;
  let healed = false;
  network.onAnswered = (_replier, request, reply) => {
    const req = request as unknown as ChunkRequest;
    const rep = reply as unknown as Packed;
    if (req.type !== T.StreamChunk || rep.type !== T.StreamChunkReply || !rep.packed) return;
    const id = `${req.partition}:${Buffer.from(req.leaf).toString('hex')}`;
    const served = (fetches.get(id) ?? 0) + 1;
    fetches.set(id, served);
    if (!healed && corrupt(req.partition, id)) {
      rep.packed[rep.packed.length >> 1]! ^= 0x20;
      corrupted++;
    }
  };
  cluster.addJoiner('n4');
  await scheduler.runUntilSettled(cluster.start('n4'), 60_000, 'start n4');
  const n4 = cluster.runtime('n4');
  if (heal) {
    await scheduler.runUntil(scheduler.nowMs + heal.afterMs);
    const stuck = { ready: n4.ready, progress: { ...n4.topology.progress } };
    healed = true;
    await scheduler.waitFor('n4 ready', () => n4.ready, 300_000);
    return { cluster, scheduler, n4, fetches, corrupted, stuck };
  }
  await scheduler.waitFor('n4 ready', () => n4.ready, 300_000);
  return { cluster, scheduler, n4, fetches, corrupted, stuck: undefined };
}

/** Every key n4 replicates, read from n4 and from n1 (which holds all of them): identical. */
async function checkHoldsEverything({ cluster, scheduler, n4 }: Awaited<ReturnType<typeof joinWithCorruption>>): Promise<number> {
  const n1 = cluster.runtime('n1');
  let held = 0;
  for (let i = 0; i < KEYS; i++) {
    const key = enc(`key-${i}`);
    const p = n4.cluster.ring.partitionOf(key);
    if (!n4.cluster.ring.preferenceList(p).includes('n4')) continue;
    const [mine, theirs] = await scheduler.runUntilSettled(Promise.all([n4.store.read(p, key), n1.store.read(p, key)]), 10_000, 'local reads');
    expect(mine).toBeDefined();
    expect(compareRecords(mine!, theirs!)).toBe(0);
    held++;
  }
  return held;
}

describe('stream checksum manifest under simulation', () => {
  test.each([1, 2])('seed %i: one chunk corrupted once in flight is fetched again; the joiner ends with every key', async (seed) => {
    let flipped: string | undefined;
    const run = await joinWithCorruption(seed, (_partition, id) => {
      if (flipped !== undefined) return false;
      flipped = id;
      return true;
    });
    expect(run.corrupted).toBe(1);
    // Its three sources hold identical copies (same leaf): each chunk was served once per source,
    // and the corrupted one once more.
    const counts = [...run.fetches].filter(([id]) => id !== flipped).map(([, n]) => n);
    expect(run.fetches.get(flipped!)).toBe(Math.max(...counts) + 1);
    expect(run.n4.topology.progress.phase).toBe('idle');
    expect(await checkHoldsEverything(run)).toBeGreaterThan(KEYS / 2);
  }, 120_000);

  test('a chunk corrupted in every copy fails the pull (STREAM_CHECKSUM_MISMATCH) until it stops; then the join completes', async () => {
    let target: number | undefined;
    const run = await joinWithCorruption(3, (partition) => {
      target ??= partition;
      return partition === target;
    }, { afterMs: 20_000 });
    expect(run.stuck!.ready).toBe(false);
    expect(run.stuck!.progress.lastError).toMatch(/^STREAM_CHECKSUM_MISMATCH: partition \d+/);
    expect(run.stuck!.progress.waitingForSource).toContain(target);
    expect(run.corrupted).toBeGreaterThanOrEqual(3);
    expect(await checkHoldsEverything(run)).toBeGreaterThan(KEYS / 2);
  }, 120_000);

  test('a decommission is pulled with manifests too: a chunk corrupted once from the leaver is fetched again, and the new owners end with every key it held', async () => {
    const scheduler = new Scheduler(new Trace(200, false));
    const network = new SimNetwork(scheduler, new Prng(4).fork('network'));
    const cluster = new SimCluster(scheduler, network, new Prng(4).fork('cluster'), {
      ...DEFAULT_CLUSTER, nodes: 4, partitions: 16, antiEntropy: { manual: true },
      config: { streamChunkBytes: 1024, streamWindowChunks: 2, streamParallelPartitions: 3 },
    });
    await scheduler.runUntilSettled(cluster.startAll(), 60_000, 'cluster start');
    const n1 = cluster.runtime('n1');
    for (let i = 0; i < KEYS; i++) {
      await scheduler.runUntilSettled(n1.coordinator.put(enc(`key-${i}`), enc(`value-${i}`), { w: 'all' }), 10_000, `put ${i}`);
    }
    const n4 = cluster.runtime('n4');
    const ring = n4.cluster.ring;
    const held = Array.from({ length: KEYS }, (_, i) => enc(`key-${i}`)).filter((k) => ring.ownersOf(k).includes('n4'));
    // The first chunk n4 serves is corrupted once on its way.
    let flipped = 0;
    const fromLeaver = new Map<string, number>();
    network.onAnswered = (replier, request, reply) => {
      const req = request as unknown as ChunkRequest;
      const rep = reply as unknown as Packed;
      if (req.type !== T.StreamChunk || rep.type !== T.StreamChunkReply || !rep.packed || !String(replier).startsWith('n4')) return;
      const id = `${req.partition}:${Buffer.from(req.leaf).toString('hex')}`;
      fromLeaver.set(id, (fromLeaver.get(id) ?? 0) + 1);
      if (flipped === 0) {
        rep.packed[rep.packed.length >> 1]! ^= 0x20;
        flipped++;
      }
    };
    await scheduler.runUntilSettled(n4.membership.change({ op: 'leave', id: 'n4' }), 120_000, 'leave n4');
    await scheduler.waitFor('n4 to have left', () => n4.topology.left, 300_000);
    expect(flipped).toBe(1);
    expect([...fromLeaver.values()].some((n) => n >= 2)).toBe(true);
    expect(held.length).toBeGreaterThan(KEYS / 2);
    for (const id of ['n1', 'n2', 'n3']) {
      const rt = cluster.runtime(id);
      expect(rt.cluster.member('n4')).toBeUndefined();
      for (const key of held) {
        const p = rt.cluster.ring.partitionOf(key);
        const [mine, leavers] = await scheduler.runUntilSettled(Promise.all([rt.store.read(p, key), n4.store.read(p, key)]), 10_000, 'local reads');
        expect(mine).toBeDefined();
        expect(compareRecords(mine!, leavers!)).toBe(0);
      }
    }
  }, 120_000);
});
