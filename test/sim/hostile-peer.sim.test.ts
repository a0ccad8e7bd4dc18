// Issue 14's cases at the node, each a regression test named for it, under simulation: a running
// cluster of real NodeRuntimes, and requests a hostile or confused peer would send, through the
// transport of a member (it holds the secret) or of a node that is not one.
import { describe, expect, test } from '@jest/globals';
import { encodeRecord, partitionOf, type StoredRecord } from '@ringkv/core';
import { PeerMessageType as T, type NodeRuntime, type PeerBody } from '@ringkv/server';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimCluster, DEFAULT_CLUSTER } from './sim-cluster.js';
import { SimNetwork, type SimTransport } from './sim-network.js';
import { Trace } from './trace.js';

const enc = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const PARTITIONS = 16;

interface Sim {
  scheduler: Scheduler;
  network: SimNetwork;
  cluster: SimCluster;
  run<T>(p: Promise<T>, what?: string): Promise<T>;
  /** The error a request answers with (fails if it succeeds). */
  refusal(t: SimTransport, to: string, body: PeerBody): Promise<{ code: string; remoteCode?: string; message: string }>;
  waitFor(what: string, cond: () => boolean, maxMs?: number): Promise<void>;
}

async function withSim(nodes: number, body: (sim: Sim) => Promise<void>): Promise<void> {
  const scheduler = new Scheduler(new Trace(200, false));
  const network = new SimNetwork(scheduler, new Prng(14).fork('network'));
  const cluster = new SimCluster(scheduler, network, new Prng(14).fork('cluster'), {
    ...DEFAULT_CLUSTER, nodes, partitions: PARTITIONS, antiEntropy: { manual: true },
  });
  await scheduler.runUntilSettled(cluster.startAll(), 60_000, 'cluster start');
  const run = <R>(p: Promise<R>, what = 'request') => scheduler.runUntilSettled(p, 60_000, what);
  const refusal: Sim['refusal'] = async (t, to, b) => {
    try {
      await run(t.request(to, b, 5000));
    } catch (err) {
      return err as { code: string; remoteCode?: string; message: string };
    }
    throw new Error(`request type ${b.type} to ${to} was answered`);
  };
  const waitFor = (what: string, cond: () => boolean, maxMs = 120_000) => scheduler.waitFor(what, cond, maxMs);
  await body({ scheduler, network, cluster, run, refusal, waitFor });
}

/** A key whose replicas include every id of `in` and none of `out`. */
function keyWhere(rt: NodeRuntime, inIds: string[], outIds: string[] = []): { key: Uint8Array; partition: number } {
  for (let i = 0; i < 10_000; i++) {
    const key = enc(`key-${i}`);
    const partition = partitionOf(key, PARTITIONS);
    const owners = rt.cluster.ring.preferenceList(partition);
    if (inIds.every((id) => owners.includes(id)) && outIds.every((id) => !owners.includes(id))) return { key, partition };
  }
  throw new Error('no such key');
}

function record(wallMs: number, value: string): StoredRecord {
  return { ts: { wallMs, logical: 0, node: 7 }, tombstone: false, expiresAtMs: 0, value: enc(value) };
}

describe('hostile or confused peers (issue 14)', () => {
  test('every request type has a schema and a handler, and nothing else has either', async () => {
    await withSim(3, async ({ cluster }) => {
      const rt = cluster.runtime('n1');
      expect([...rt.router.routedTypes].sort((a, b) => a - b)).toEqual([...rt.protocol.types].sort((a, b) => a - b));
    });
  });

  test('a record a day ahead, sent by a peer, is refused, and later writes of its key are not swallowed', async () => {
    await withSim(3, async ({ cluster, run, refusal }) => {
      const [n1, n2] = [cluster.runtime('n1'), cluster.runtime('n2')];
      const { key, partition } = keyWhere(n1, ['n2']);
      const dayAhead = record(cluster.node('n1').clock!.nowMs() + 86_400_000, 'from the future');
      const err = await refusal(cluster.node('n1').transport!, 'n2:7000', { type: T.ReplicaWrite, partition, key, record: encodeRecord(dayAhead) });
      expect(err.remoteCode).toBe('TIMESTAMP_AHEAD');
      expect(await run(n2.store.read(partition, key))).toBeUndefined();
      await run(n1.coordinator.put(key, enc('later'), {}));
      expect(text((await run(n1.coordinator.get(key, { r: 'all' })))!.value)).toBe('later');
      expect(await counter(n2, 'ringkv_records_refused_total')).toBeGreaterThan(0);
    });
  });

  test('a key sent with a partition it does not hash to, or to a node that does not replicate it, is refused', async () => {
    await withSim(4, async ({ cluster, refusal }) => {
      const n1 = cluster.runtime('n1');
      const t1 = cluster.node('n1').transport!;
      const { key, partition } = keyWhere(n1, ['n2'], ['n3']);
      const rec = encodeRecord(record(cluster.node('n1').clock!.nowMs(), 'x'));
      const wrong = await refusal(t1, 'n2:7000', { type: T.ReplicaWrite, partition: (partition + 1) % PARTITIONS, key, record: rec });
      expect([wrong.remoteCode, wrong.message]).toEqual(['PEER_FORBIDDEN', expect.stringContaining(`belongs to partition ${partition}`)]);
      const notOwner = await refusal(t1, 'n3:7000', { type: T.ReplicaWrite, partition, key, record: rec });
      expect([notOwner.remoteCode, notOwner.message]).toEqual(['PEER_FORBIDDEN', expect.stringContaining('does not replicate')]);
      const readNotOwner = await refusal(t1, 'n3:7000', { type: T.ReplicaRead, partition, key });
      expect(readNotOwner.remoteCode).toBe('PEER_FORBIDDEN');
    });
  });

  test('a node that is not a member is answered a ping, refused everything else', async () => {
    await withSim(3, async ({ network, cluster, run, refusal }) => {
      network.addNode('mallory', 'mallory:7000');
      const mallory = network.transportFor('mallory', 'mallory:7000', 1);
      mallory.setHandler(() => ({ type: 0 }));
      await mallory.start();
      expect((await run(mallory.request('n1:7000', { type: T.Ping }, 5000))).type).toBe(T.Pong);
      const { key, partition } = keyWhere(cluster.runtime('n1'), ['n1']);
      const rec = encodeRecord(record(cluster.node('n1').clock!.nowMs(), 'x'));
      for (const b of [
        { type: T.ReplicaWrite, partition, key, record: rec },
        { type: T.ReplicaRead, partition, key },
        { type: T.MembershipGet },
        { type: T.StreamPartition, partition, maxBytes: 1024 },
        { type: T.Gossip, digest: { from: 'mallory', members: [] } },
      ]) expect((await refusal(mallory, 'n1:7000', b)).remoteCode).toBe('PEER_FORBIDDEN');
      // It may only ask to add itself, at the address it proved.
      const other = await run(mallory.request('n1:7000', { type: T.MembershipChange, cmd: { op: 'remove', id: 'n2' } }, 5000));
      expect(other).toMatchObject({ ok: false, code: 'PEER_FORBIDDEN' });
      expect(cluster.runtime('n1').cluster.member('n2')).toBeDefined();
    });
  });

  test('StreamPartition from a member that is not gaining the partition, and StreamPush last:true from one that is not leaving, are refused and mark nothing', async () => {
    await withSim(4, async ({ cluster, refusal }) => {
      const n1 = cluster.runtime('n1');
      const { partition } = keyWhere(n1, ['n1', 'n2']);
      const t2 = cluster.node('n2').transport!;
      expect((await refusal(t2, 'n1:7000', { type: T.StreamPartition, partition, maxBytes: 1 << 20 })).remoteCode).toBe('PEER_FORBIDDEN');
      const push = await refusal(t2, 'n1:7000', { type: T.StreamPush, partition, entries: [], last: true });
      expect(push.remoteCode).toBe('PEER_FORBIDDEN');
      expect(n1.topology.status().pendingPartitions).toBe(0);
    });
  });

  test('anti-entropy requests about a partition the sender does not replicate are refused', async () => {
    await withSim(4, async ({ cluster, run, refusal }) => {
      const n2 = cluster.runtime('n2');
      const { partition } = keyWhere(n2, ['n2'], ['n1']);
      const t1 = cluster.node('n1').transport!;
      const shape = n2.antiEntropy.trees.shape;
      const level = await refusal(t1, 'n2:7000', { type: T.MerkleLevel, partition, buckets: shape.buckets, fanout: shape.fanout, depth: 0, indexes: [0] });
      expect(level.remoteCode).toBe('PEER_FORBIDDEN');
      const entries = await refusal(t1, 'n2:7000', {
        type: T.BucketEntries, partition, buckets: shape.buckets, bucketList: new Uint8Array(4), after: null, upTo: null, keys: [], records: [],
      });
      expect(entries.remoteCode).toBe('PEER_FORBIDDEN');
      // A root check asks about many partitions at once (4 bytes each): this one is refused on its
      // own (state 2, not a replica), with no hash.
      const partitions = new Uint8Array(4);
      new DataView(partitions.buffer).setUint32(0, partition);
      const roots = await run(t1.request('n2:7000', { type: T.MerkleRoots, buckets: shape.buckets, fanout: shape.fanout, partitions }, 5000));
      expect(roots).toMatchObject({ states: Uint8Array.of(2), hashes: new Uint8Array(8) });
    });
  });

  test('a Raft message with term 1e308, one claiming another sender, and a forwarded change with cmd null are refused; Raft keeps committing', async () => {
    await withSim(3, async ({ cluster, run, refusal }) => {
      const t2 = cluster.node('n2').transport!;
      const huge = await refusal(t2, 'n1:7000', { type: T.Raft, msg: { type: 7, term: 1e308, from: 'n2', to: 'n1' } });
      expect(huge.remoteCode).toBe('PEER_BAD_MESSAGE');
      const forged = await refusal(t2, 'n1:7000', { type: T.Raft, msg: { type: 7, term: 1, from: 'n3', to: 'n1' } });
      expect([forged.remoteCode, forged.message]).toEqual(['PEER_FORBIDDEN', expect.stringContaining('from n3 sent by n2')]);
      const nullCmd = await refusal(t2, 'n1:7000', { type: T.MembershipChange, cmd: null });
      expect(nullCmd.remoteCode).toBe('PEER_BAD_MESSAGE');
      const n1 = cluster.runtime('n1');
      const before = n1.cluster.epoch;
      await run(n1.membership.change({ op: 'setZone', id: 'n3', zone: 'z1' }), 'a valid change');
      expect(n1.cluster.epoch).toBe(before + 1);
      expect(n1.cluster.member('n3')?.zone).toBe('z1');
    });
  });

  test('a gaining node with no reachable previous holder never marks the partition received; removals wait for its catch-up', async () => {
    await withSim(5, async ({ network, cluster, run, waitFor }) => {
      const rts = Object.fromEntries(['n2', 'n3', 'n4', 'n5'].map((id) => [id, cluster.runtime(id)]));
      // A key of n1, n2 and n3: when n1 is removed, n4 or n5 gains its partition.
      const { key, partition } = keyWhere(rts.n2, ['n1', 'n2', 'n3']);
      await run(rts.n2.coordinator.put(key, enc('precious'), { w: 'all' }));
      cluster.crash('n1');
      await waitFor('n1 seen down', () => Object.values(rts).every((rt) => !rt.liveness.isUp('n1')));
      // Cut the gaining node off from the holders the moment it learns the removal, before it
      // pulls anything (the others still hear it).
      for (const id of ['n4', 'n5']) {
        rts[id].cluster.onChange((_m, ring) => {
          if (ring.preferenceList(partition).includes(id)) for (const holder of ['n2', 'n3']) network.block(id, holder);
        });
      }
      await run(rts.n2.changeByOperator({ op: 'remove', id: 'n1' }, false), 'remove n1');
      const gainer = ['n4', 'n5'].find((id) => rts.n2.cluster.ring.preferenceList(partition).includes(id))!;
      const other = gainer === 'n4' ? 'n5' : 'n4';
      const g = rts[gainer];
      await waitFor(`${gainer} to know its catch-up waits for a source`, () => (g.topology.progress.waitingForSource ?? []).includes(partition), 600_000);
      expect(g.topology.holds(partition)).toBe(false);
      expect(g.topology.status().pendingPartitions).toBeGreaterThan(0);
      expect(await run(g.store.read(partition, key))).toBeUndefined();
      // Removing another holder now could take the last copy: refused while the gainer catches up.
      cluster.crash('n2');
      await waitFor('n2 seen down', () => !rts[other].liveness.isUp('n2') && rts[other].liveness.isUp(gainer));
      await expect(run(rts[other].changeByOperator({ op: 'remove', id: 'n2' }, false), 'remove n2')).rejects.toMatchObject({
        code: 'MEMBERSHIP_CHANGE_REFUSED', message: expect.stringContaining('still being caught up on'),
      });
      network.healAll();
      await waitFor(`${gainer} to receive the partition from n3`, () => g.topology.holds(partition), 600_000);
      expect(text((await run(g.store.read(partition, key)))!.value)).toBe('precious');
      await waitFor('every catch-up to end', () => ['n3', 'n4', 'n5'].every((id) => rts[id].topology.status().pendingPartitions === 0), 600_000);
      await run(rts[other].changeByOperator({ op: 'remove', id: 'n2' }, false), 'remove n2 once caught up');
      expect(rts[other].cluster.member('n2')).toBeUndefined();
    });
  });

  test('an operator remove of a member the cluster still hears is refused without force', async () => {
    await withSim(3, async ({ cluster, run, waitFor }) => {
      const n1 = cluster.runtime('n1');
      // Heard, not only in the grace period of a member never heard (that one may be removed).
      await waitFor('n1 to hear n3', () => n1.liveness.hears('n3'));
      await expect(run(n1.changeByOperator({ op: 'remove', id: 'n3' }, false))).rejects.toMatchObject({
        code: 'MEMBERSHIP_CHANGE_REFUSED', message: expect.stringContaining('n3 is alive'),
      });
      expect(n1.cluster.member('n3')).toBeDefined();
    });
  });
});

async function counter(rt: NodeRuntime, name: string): Promise<number> {
  const metric = await rt.components.metrics.registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((n, v) => n + v.value, 0);
}
