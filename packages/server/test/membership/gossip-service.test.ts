// GossipService over the in-memory network, three nodes, simulated time only.
import { afterEach, describe, expect, test } from '@jest/globals';
import { isMemberAlive } from '@ringkv/core';
import { GossipCluster, member, settle, type TestNode } from './gossip-test-kit.js';
import { PeerMessageType } from '../../src/peer/message-types.js';

const ABC = ['a', 'b', 'c'];
let cluster: GossipCluster;

async function threeNodes(): Promise<GossipCluster> {
  cluster = new GossipCluster();
  for (const id of ABC) await cluster.add(id, ABC);
  return cluster;
}

/** Whether `observer` sees `subject` alive by gossip's phi detector alone (not by grace or evidence). */
function gossipSees(observer: TestNode, subject: string): boolean {
  return isMemberAlive(observer.service.view, subject, cluster.clock.nowMs());
}

afterEach(() => cluster?.stopAll());

describe('GossipService', () => {
  test('members start up (grace), and within a few rounds each sees the others alive by gossip', async () => {
    const c = await threeNodes();
    const [a, b, cc] = ABC.map((id) => c.node(id));
    // Never heard from yet: up by the benefit of the doubt, not by gossip.
    expect(a.service.isUp('b')).toBe(true);
    expect(gossipSees(a, 'b')).toBe(false);
    const tookMs = await c.advanceUntil(() => [a, b, cc].every((o) => ABC.every((s) => gossipSees(o, s))), 5_000);
    expect(tookMs).toBeLessThanOrEqual(3_000);
    for (const o of [a, b, cc]) {
      for (const s of ABC) expect(o.service.isUp(s)).toBe(true);
      expect(o.ups).toEqual([]);
      expect(o.downs).toEqual([]);
    }
    const view = a.service.members();
    expect(view.map((m) => m.id)).toEqual(ABC);
    for (const m of view) {
      expect(m.alive).toBe(true);
      expect(m.phi).not.toBeNull();
      expect(m.phi as number).toBeLessThan(1);
      expect(m.heartbeatAgeMs as number).toBeLessThanOrEqual(1_200);
      expect(m.incarnation).toBe(c.node(m.id).service.incarnation);
      expect(m.epoch).toBe(1);
    }
    // Steady state: nobody is ever suspected.
    await c.advance(20_000, 100);
    for (const o of [a, b, cc]) expect(o.downs).toEqual([]);
  });

  test('a node that goes down is marked down within the phi bound, and up again when it returns', async () => {
    const c = await threeNodes();
    const [a, b, cc] = ABC.map((id) => c.node(id));
    await c.advance(10_000);
    c.net.setDown('c:1', true);
    const bound = a.service.suspicionDelayMs + a.service.intervalMs;
    const downMs = await c.advanceUntil(() => !a.service.isUp('c') && !b.service.isUp('c'), bound);
    expect(downMs).toBeLessThanOrEqual(bound);
    // Listeners hear of a flip at the next round (or the next evidence), not at the query.
    await c.advance(a.service.intervalMs * 1.2);
    expect(a.downs).toEqual(['c']);
    expect(b.downs).toEqual(['c']);
    expect(a.service.isUp('b')).toBe(true);
    // Cut off, c sees the others down too.
    await c.advance(a.service.suspicionDelayMs + 2_000);
    expect(cc.service.isUp('a')).toBe(false);
    expect(a.service.members().find((m) => m.id === 'c')?.alive).toBe(false);

    c.net.setDown('c:1', false);
    const upMs = await c.advanceUntil(() => a.service.isUp('c') && b.service.isUp('c') && cc.service.isUp('a'), 5_000);
    expect(upMs).toBeLessThanOrEqual(3_000);
    expect(a.ups).toEqual(['c']);
    expect(b.ups).toEqual(['c']);
    expect(cc.ups.sort()).toEqual(['a', 'b']);
    await c.advance(2_000);
    expect(gossipSees(a, 'c')).toBe(true);
  });

  test('members the membership does not list are never added, however much they gossip', async () => {
    const c = await threeNodes();
    // d lists everyone and gossips to them; a, b and c do not list d.
    const d = await c.add('d', [...ABC, 'd']);
    await c.advance(10_000);
    for (const id of ABC) {
      const n = c.node(id);
      expect(n.service.view.members.has('d')).toBe(false);
      expect(n.service.isUp('d')).toBe(false);
      expect(n.service.members().map((m) => m.id)).toEqual(ABC);
      n.service.report('d', true);
      expect(n.service.isUp('d')).toBe(false);
    }
    // d sees the others (their answers carry their entries).
    for (const id of ABC) expect(isMemberAlive(d.service.view, id, c.clock.nowMs())).toBe(true);
    // Once the membership lists d, it is picked up.
    for (const id of ABC) c.node(id).membership = [...ABC, 'd'].map((m) => member(m));
    await c.advanceUntil(() => ABC.every((id) => gossipSees(c.node(id), 'd')), 5_000);
    // And when it is removed again, it is forgotten.
    c.node('a').membership = ABC.map((m) => member(m));
    await c.advance(2_000);
    expect(c.node('a').service.view.members.has('d')).toBe(false);
  });

  test('a higher epoch seen in gossip calls onHigherEpoch once, with who has it', async () => {
    const c = await threeNodes();
    const [a, b, cc] = ABC.map((id) => c.node(id));
    await c.advance(3_000);
    b.epoch = 2;
    await c.advanceUntil(() => a.higher.length > 0 && cc.higher.length > 0, 5_000);
    expect(a.higher[0]).toEqual({ fromId: 'b', epoch: 2, hint: { peer: 'b:1', via: expect.any(String) } });
    expect(b.higher).toEqual([]);
    // Not repeated every message while the fetch is under way...
    await c.advance(3_000);
    expect(a.higher).toHaveLength(1);
    // ...but again after a few rounds if the epoch is still not applied (the fetch failed).
    await c.advance(3_000);
    expect(a.higher.length).toBeGreaterThan(1);
    a.epoch = 2;
    cc.epoch = 2;
    const before = [a.higher.length, cc.higher.length];
    await c.advance(10_000);
    expect([a.higher.length, cc.higher.length]).toEqual(before);
    expect(a.service.view.members.get('a')?.epoch).toBe(2);
  });

  test('an unlisted node with a higher epoch is reported too (a member of the newer epoch)', async () => {
    const c = await threeNodes();
    const d = await c.add('d', [...ABC, 'd']);
    d.epoch = 3;
    await c.advanceUntil(() => c.node('a').higher.length > 0, 10_000);
    expect(c.node('a').higher[0]).toEqual({ fromId: 'd', epoch: 3, hint: { peer: 'd:1', via: expect.any(String) } });
  });

  test('a failed request alone does not mark a peer down that gossip heard from just now', async () => {
    const c = await threeNodes();
    const a = c.node('a');
    await c.advance(5_000);
    a.service.report('b', false);
    expect(a.service.isUp('b')).toBe(true);
    // The peer keeps gossiping: its heartbeat outvotes the failure.
    await c.advance(5_000);
    expect(a.service.isUp('b')).toBe(true);
    expect(a.downs).toEqual([]);
  });

  test('with no gossip yet, a failed request marks the peer down at once and a success brings it back', async () => {
    const c = new GossipCluster();
    cluster = c;
    const a = await c.add('a', ABC); // b and c never start
    expect(a.service.isUp('b')).toBe(true);
    a.service.report('b', false);
    expect(a.service.isUp('b')).toBe(false);
    expect(a.downs).toEqual(['b']);
    a.service.report('b', true);
    expect(a.service.isUp('b')).toBe(true);
    expect(a.ups).toEqual(['b']);
    // Without gossip the success keeps it up only for a couple of rounds.
    await c.advance(3_000);
    expect(a.service.isUp('b')).toBe(false);
    // c, never heard from and never failed, is down once its grace is over.
    await c.advance(a.service.suspicionDelayMs);
    expect(a.service.isUp('c')).toBe(false);
    expect(a.service.members().find((m) => m.id === 'c')).toMatchObject({ alive: false, phi: null, heartbeatAgeMs: null });
  });

  test('down peers are still probed and seen up again by the nodes that had given up on them', async () => {
    const c = await threeNodes();
    const a = c.node('a');
    await c.advance(5_000);
    c.net.setDown('b:1', true);
    c.net.setDown('c:1', true);
    await c.advance(15_000);
    expect(a.service.isUp('b') || a.service.isUp('c')).toBe(false);
    const delivered = c.net.delivered;
    c.net.setDown('b:1', false);
    c.net.setDown('c:1', false);
    await c.advanceUntil(() => a.service.isUp('b') && a.service.isUp('c'), 5_000);
    expect(c.net.delivered).toBeGreaterThan(delivered);
  });

  test('a restarted node comes back with a higher incarnation and is seen up', async () => {
    const c = await threeNodes();
    const [a, b] = ['a', 'b'].map((id) => c.node(id));
    await c.advance(5_000);
    const first = b.service.incarnation;
    b.service.stop();
    // A stopped node refuses gossip (not "unreachable" evidence): phi alone must notice.
    const bound = a.service.suspicionDelayMs + a.service.intervalMs;
    expect(await c.advanceUntil(() => !a.service.isUp('b'), bound)).toBeGreaterThan(a.service.suspicionDelayMs - 2 * a.service.intervalMs);
    await c.advance(5_000);
    expect(a.downs).toEqual(['b']);
    b.service = c.service(b);
    expect(b.service.incarnation).toBeGreaterThan(first);
    await c.advanceUntil(() => a.service.isUp('b') && gossipSees(a, 'b'), 5_000);
    expect(a.service.view.members.get('b')?.incarnation).toBe(b.service.incarnation);
  });

  test('a node restarted with a stale incarnation refutes its old entry and is seen alive', async () => {
    const c = await threeNodes();
    const [a, b] = ['a', 'b'].map((id) => c.node(id));
    await c.advance(5_000);
    const first = b.service.incarnation;
    b.service.stop();
    b.service = c.service(b, { incarnation: 1 });
    await c.advanceUntil(() => (b.service.view.members.get('b')?.incarnation ?? 0) > first, 5_000);
    await c.advanceUntil(() => gossipSees(a, 'b') && (a.service.view.members.get('b')?.incarnation ?? 0) > first, 5_000);
  });

  test('a malformed gossip request is refused; a digest claiming another sender is refused (issue 14)', async () => {
    const c = await threeNodes();
    const [a, b] = ['a', 'b'].map((id) => c.node(id));
    await expect(b.transport.request('a:1', { type: PeerMessageType.Gossip, digest: 'nope' }, 1000)).rejects.toMatchObject({ code: 'PEER_REMOTE', remoteCode: 'PEER_BAD_MESSAGE' });
    const forged = { from: 'c', members: [{ id: 'c', peer: 'c:1', http: 'c:2', incarnation: 9e12, heartbeat: 5, status: 'normal', epoch: 1 }] };
    await expect(b.transport.request('a:1', { type: PeerMessageType.Gossip, digest: forged }, 1000)).rejects.toMatchObject({ code: 'PEER_REMOTE', remoteCode: 'PEER_FORBIDDEN' });
    expect(a.service.view.members.get('c')?.incarnation).not.toBe(9e12);
    await settle();
  });
});
