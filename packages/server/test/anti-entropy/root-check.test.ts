// Rounds in batches: due partitions first have their roots checked, many per request, and only
// those whose roots differ get a full round (root-check.ts). What the peer answers about
// partitions it may not be asked about, and a peer too old to know the request.
import { afterEach, describe, expect, test } from '@jest/globals';
import { PeerMessageType as T } from '../../src/peer/message-types.js';
import { RootState, packPartitions, unpackHashes } from '../../src/anti-entropy/ae-wire.js';
import { AeKit, dump, ts, turns, type TestNode } from './ae-test-kit.js';

let kit: AeKit | undefined;
afterEach(async () => {
  await kit?.stopAll();
  kit = undefined;
});

/** The requests a node sends: their types, and the partitions of its MerkleLevel requests. */
function recordRequests(n: TestNode): { types: number[]; levelPartitions: Set<number> } {
  const seen = { types: [] as number[], levelPartitions: new Set<number>() };
  const request = n.transport.request.bind(n.transport);
  n.transport.request = async (address, body, timeoutMs) => {
    seen.types.push(body.type);
    if (body.type === T.MerkleLevel) seen.levelPartitions.add((body as unknown as { partition: number }).partition);
    return request(address, body, timeoutMs);
  };
  return seen;
}

const count = (types: number[], type: number): number => types.filter((t) => t === type).length;

async function sameData(kit: AeKit, keys: number): Promise<void> {
  for (let i = 0; i < keys; i++) for (const n of kit.nodes) await kit.put(n, `k${i}`, `v${i}`, ts(i));
}

describe('root checks', () => {
  test('partitions in sync have their rounds from one request, and none of their own', async () => {
    kit = new AeKit({ nodes: 2, partitions: 64 });
    await kit.start();
    const [a] = kit.nodes;
    await sameData(kit, 300);
    const seen = recordRequests(a);
    for (const p of a.ae.trees.partitions()) a.ae.trigger(p);
    await a.ae.idle();
    expect(seen.types).toEqual([T.MerkleRoots]);
    const outcomes = a.ae.status().partitions.map((s) => s.peers[0]?.outcome);
    expect(outcomes).toEqual(new Array(64).fill('in-sync'));
  });

  test('only the partitions whose roots differ get a full round, and they converge', async () => {
    kit = new AeKit({ nodes: 2, partitions: 64 });
    await kit.start();
    const [a, b] = kit.nodes;
    await sameData(kit, 300);
    await kit.put(b, 'only-b', 'x', ts(1000));
    const seen = recordRequests(a);
    for (const p of a.ae.trees.partitions()) a.ae.trigger(p);
    await a.ae.idle();
    expect(count(seen.types, T.MerkleRoots)).toBe(1);
    expect([...seen.levelPartitions]).toEqual([kit.partitionOf('only-b')]);
    expect(await kit.text(a, 'only-b')).toBe('x');
    expect(await dump(a.engine)).toEqual(await dump(b.engine));
  });

  test('the sweep checks what is due without a request per partition', async () => {
    kit = new AeKit({ nodes: 2, partitions: 64, ae: { intervalMs: 10_000 } });
    await kit.start();
    const [a] = kit.nodes;
    await sameData(kit, 300);
    const seen = recordRequests(a);
    for (let t = 0; t < 10_000; t += 500) {
      kit.clock.advance(500);
      await turns();
      await a.ae.idle();
    }
    // Every partition had its round within the interval, in fewer requests than partitions.
    const rounds = a.ae.status().partitions.map((s) => s.peers[0]?.outcome);
    expect(rounds).toEqual(new Array(64).fill('in-sync'));
    expect(count(seen.types, T.MerkleLevel)).toBe(0);
    expect(count(seen.types, T.MerkleRoots)).toBeLessThanOrEqual(20); // one per half second at most
  });

  test('a peer too old to know the check gets full rounds instead', async () => {
    kit = new AeKit({ nodes: 2, partitions: 8 });
    await kit.start();
    const [a, b] = kit.nodes;
    await sameData(kit, 50);
    await kit.put(b, 'only-b', 'x', ts(1000));
    // What an older node answers: it does not know the message type (PEER_UNKNOWN_MESSAGE).
    const request = a.transport.request.bind(a.transport);
    a.transport.request = async (address, body, timeoutMs) => request(address, body.type === T.MerkleRoots ? { ...body, type: 46 } as never : body, timeoutMs);
    const seen = recordRequests(a);
    for (const p of a.ae.trees.partitions()) a.ae.trigger(p);
    await a.ae.idle();
    expect(seen.levelPartitions.size).toBe(8);
    expect(a.ae.status().partitions.map((s) => s.peers[0]?.outcome).sort()).toEqual(['exchanged', ...new Array(7).fill('in-sync')]);
    expect(await dump(a.engine)).toEqual(await dump(b.engine));
    // It is not asked again for a while (each ask is a refusal it logs), then it is (it may have been upgraded).
    const checks = () => count(seen.types, T.MerkleRoots);
    expect(checks()).toBe(1);
    for (const p of a.ae.trees.partitions()) a.ae.trigger(p);
    await a.ae.idle();
    expect(checks()).toBe(1);
    kit.clock.advance(10 * 60_000 + 1);
    for (const p of a.ae.trees.partitions()) a.ae.trigger(p);
    await a.ae.idle();
    expect(checks()).toBe(2);
  });

  test('a root check that fails otherwise is each partition\'s failed round, with no full rounds behind it', async () => {
    kit = new AeKit({ nodes: 2, partitions: 8 });
    await kit.start();
    const [a] = kit.nodes;
    const request = a.transport.request.bind(a.transport);
    a.transport.request = async (address, body, timeoutMs) => {
      if (body.type === T.MerkleRoots) throw new Error('timed out');
      return request(address, body, timeoutMs);
    };
    const seen = recordRequests(a);
    for (const p of a.ae.trees.partitions()) a.ae.trigger(p);
    await a.ae.idle();
    expect(seen.types).toEqual([T.MerkleRoots]);
    const peers = a.ae.status().partitions.map((s) => s.peers[0]);
    expect(peers.map((x) => x?.outcome)).toEqual(new Array(8).fill('failed'));
    expect(peers[0]?.error).toMatch(/timed out/);
  });
});

describe('answering a root check', () => {
  test('only about partitions both replicate: the others are refused one by one, with no hash', async () => {
    kit = new AeKit({ nodes: 3, partitions: 16, replicas: 2 });
    await kit.start();
    const [a, b] = kit.nodes;
    for (let i = 0; i < 100; i++) await kit.put(b, `k${i}`, `v${i}`, ts(i));
    const ring = b.cluster.ring;
    const all = Array.from({ length: 16 }, (_, p) => p);
    const reply = await a.transport.request(b.address, { type: T.MerkleRoots, buckets: b.ae.trees.shape.buckets, partitions: packPartitions(all) }, 1000) as unknown as { states: Uint8Array; hashes: Uint8Array };
    const hashes = unpackHashes(reply.hashes, 16);
    for (const p of all) {
      const both = ring.preferenceList(p).includes('n1') && ring.preferenceList(p).includes('n2');
      expect(reply.states[p]).toBe(both ? RootState.Ready : RootState.NotReplica);
      expect(hashes[p]).toBe(both ? b.ae.trees.ready(p)!.root() : 0n);
    }
    expect(new Set(reply.states).size).toBe(2); // both kinds occur
  });

  test('a malformed request changes nothing and gets an error', async () => {
    kit = new AeKit({ nodes: 2, partitions: 8 });
    await kit.start();
    const [a, b] = kit.nodes;
    const { buckets } = b.ae.trees.shape;
    const bad = [
      { type: T.MerkleRoots, buckets, partitions: packPartitions([8]) }, // partition outside 0..Q-1
      { type: T.MerkleRoots, buckets, partitions: new Uint8Array(6) }, // not 4 bytes a partition
      { type: T.MerkleRoots, buckets: buckets * 2, partitions: packPartitions([0]) }, // another tree shape
      { type: T.MerkleRoots, buckets, partitions: new Uint8Array(4 * 1025) }, // too many
    ];
    for (const body of bad) await expect(a.transport.request(b.address, body as never, 1000)).rejects.toThrow();
    expect(b.ae.trees.partitions()).toHaveLength(8);
  });
});
