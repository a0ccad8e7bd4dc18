// A decommissioning node that misses the news of its own removal, under simulation: 4 nodes take
// writes, one that does not lead the Raft group leaves, and the moment a member answers its
// remove, every member's messages to it are lost for a few seconds: the reply, the Raft entries
// that would tell it, all of it (by the time they flow again the Raft group no longer includes
// it, so none ever will). It must still learn that it was removed (it asks the members for the
// membership, which they answer a former member), hand its hints over and report that it has
// left, while the others hold every acknowledged write.
// And a node cut off from every member while an operator removes it (it is not leaving): once the
// cut heals, the members refuse its gossip as from a non-member, and that makes it ask them.
import { describe, expect, test } from '@jest/globals';
import { compareTimestamps, type Timestamp } from '@ringkv/core';
import { PeerMessageType as T } from '../../packages/server/src/peer/message-types.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimCluster, DEFAULT_CLUSTER } from './sim-cluster.js';
import { SimNetwork } from './sim-network.js';
import { Trace } from './trace.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
/** How long the members' messages to the leaver are lost once its remove is answered. */
const CUT_MS = 4000;

interface ChangeRequest { type: number; cmd?: { op?: string; id?: string } }

const ids = ['n1', 'n2', 'n3', 'n4'];

/** Four nodes started under simulation, with a Raft leader; `other` is the last node that does not lead. */
async function fourNodes(seed: number) {
  const scheduler = new Scheduler(new Trace(200, false));
  const root = new Prng(seed);
  const network = new SimNetwork(scheduler, root.fork('network'));
  const cluster = new SimCluster(scheduler, network, root.fork('cluster'), { ...DEFAULT_CLUSTER, nodes: 4, partitions: 16, antiEntropy: { manual: true } });
  await scheduler.runUntilSettled(cluster.startAll(), 60_000, 'cluster start');
  await scheduler.waitFor('a Raft leader', () => cluster.runtime('n1').raft.leader() !== null);
  const leader = cluster.runtime('n1').raft.leader()!;
  const other = [...ids].reverse().find((id) => id !== leader)!;
  return { scheduler, root, network, cluster, leader, other };
}

async function missedRemoval(seed: number): Promise<string[]> {
  const { scheduler, root, network, cluster, other: leaverId } = await fourNodes(seed);
  const stayers = ids.filter((id) => id !== leaverId);
  const leaver = cluster.runtime(leaverId);

  // Writes through the nodes that stay, at w=2, before and during the decommission.
  const acked = new Map<string, Timestamp>();
  const prng = root.fork('workload');
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing; i++) {
      const key = `k${prng.int(0, 30)}`;
      try {
        const { ts } = await cluster.runtime(prng.pick(stayers)).coordinator.put(enc(key), enc(`v${i}`), { w: '2' });
        const prev = acked.get(key);
        if (!prev || compareTimestamps(ts, prev) > 0) acked.set(key, ts);
      } catch {
        // Not acknowledged: no promise to keep.
      }
      await scheduler.sleep(prng.int(5, 50), 'writer');
    }
  })();
  await scheduler.runUntil(scheduler.nowMs + 2000);

  let cuts = 0;
  network.onAnswered = (replier, request) => {
    const { cmd } = request as ChangeRequest;
    if (request.type !== T.MembershipChange || cmd?.op !== 'remove' || cmd.id !== leaverId || replier === leaverId || cuts > 0) return;
    cuts++;
    for (const id of stayers) network.block(id, leaverId);
    scheduler.schedule(CUT_MS, 'heal the leaver', () => network.healPartitions());
  };
  // The leave as an operator runs it: retried while it times out.
  for (let attempt = 0; ; attempt++) {
    try {
      await scheduler.runUntilSettled(leaver.membership.change({ op: 'leave', id: leaverId }), 60_000, 'leave');
      break;
    } catch (err) {
      if (/already leaving|is not a member/.test((err as Error).message) || attempt >= 5) break;
    }
  }
  await scheduler.waitFor(`${leaverId} to leave`, () => leaver.topology.left, 300_000);
  const violations: string[] = [];
  if (cuts !== 1) violations.push(`the remove's answer was cut ${cuts} times, not once`);
  if (leaver.cluster.member(leaverId)) violations.push(`${leaverId} still lists itself at epoch ${leaver.cluster.epoch}`);
  writing = false;
  await scheduler.runUntilSettled(writer, 60_000, 'writer');
  const epoch = cluster.runtime(stayers[0]!).cluster.epoch;
  await scheduler.waitFor('the others at one epoch, idle', () => stayers.every((id) => {
    const rt = cluster.runtime(id);
    return rt.cluster.epoch === epoch && rt.topology.progress.phase === 'idle';
  }));
  if (leaver.cluster.epoch !== epoch) violations.push(`${leaverId} serves epoch ${leaver.cluster.epoch}, the others ${epoch}`);
  for (const id of stayers) {
    const members = cluster.runtime(id).cluster.membership.members.map((m) => m.id);
    if (members.includes(leaverId)) violations.push(`${id} still lists ${leaverId}`);
  }
  // Every acknowledged write is held by a current owner (before any repair).
  for (const [key, ts] of acked) {
    const rt = cluster.runtime(stayers[0]!);
    const read = await scheduler.runUntilSettled(rt.coordinator.get(enc(key), { r: 'all' }), 30_000, `read ${key}`).catch(() => undefined);
    if (!read || compareTimestamps(read.ts, ts) < 0) violations.push(`${key}: acknowledged at ${JSON.stringify(ts)}, read ${read ? `${dec(read.value)} at ${JSON.stringify(read.ts)}` : 'nothing'}`);
  }
  for (const id of ids) await scheduler.runUntilSettled(cluster.stop(id), 60_000, `stop ${id}`);
  return violations;
}

describe('a node that misses its own removal', () => {
  const seeds = process.env.SIM_OWN_REMOVAL_SEED ? [Number(process.env.SIM_OWN_REMOVAL_SEED)] : [1, 2, 3];
  test.each(seeds)('seed %i: learns it was removed, hands its hints over and leaves; no acknowledged write is lost', async (seed) => {
    expect(await missedRemoval(seed)).toEqual([]);
  }, 120_000);
});

async function removedWhileCutOff(seed: number): Promise<string[]> {
  const { scheduler, network, cluster, leader, other: cutId } = await fourNodes(seed);
  const others = ids.filter((id) => id !== cutId);
  const cut = cluster.runtime(cutId);
  network.partition([others, [cutId]]);
  const survivor = cluster.runtime(leader);
  // The operator removes it once the others see it down (as `cluster remove` wants), forced all the same.
  await scheduler.waitFor(`${cutId} down`, () => !survivor.liveness.isUp(cutId), 120_000);
  await scheduler.runUntilSettled(survivor.membership.change({ op: 'remove', id: cutId }, { force: true }), 60_000, 'remove');
  const epoch = survivor.cluster.epoch;
  await scheduler.runUntil(scheduler.nowMs + 5000);
  const violations: string[] = [];
  if (!cut.cluster.member(cutId)) violations.push(`${cutId} learned of its removal while still cut off`);
  network.healPartitions();
  await scheduler.waitFor(`${cutId} to learn it was removed and hand over`, () => cut.topology.left, 120_000);
  if (cut.cluster.member(cutId)) violations.push(`${cutId} still lists itself at epoch ${cut.cluster.epoch}`);
  if (cut.cluster.epoch < epoch) violations.push(`${cutId} serves epoch ${cut.cluster.epoch}, the others ${epoch}`);
  for (const id of ids) await scheduler.runUntilSettled(cluster.stop(id), 60_000, `stop ${id}`);
  return violations;
}

describe('a node removed while it was cut off', () => {
  test.each([1, 2])('seed %i: once the cut heals, the members refuse its gossip, it asks them, learns it was removed and hands over', async (seed) => {
    expect(await removedWhileCutOff(seed)).toEqual([]);
  }, 120_000);
});
