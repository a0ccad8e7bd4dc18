import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { MemberEntry } from '../../src/liveness/member-entry.js';
import { gossipDigest, gossipRound, onGossip, selectGossipTargets } from '../../src/liveness/gossip-round.js';
import { createMemberTable, isMemberAlive, mergeDigest, selfEntry, type MemberTable } from '../../src/liveness/member-table.js';
import { Prng } from '../../src/util/prng.js';

const entry = (id: string, heartbeat = 1, extra: Partial<MemberEntry> = {}): MemberEntry => ({
  id,
  peer: `${id}:7000`,
  http: `${id}:8000`,
  incarnation: 1,
  heartbeat,
  status: 'normal',
  epoch: 1,
  ...extra,
});

/** A table of "me" that saw the heartbeats of p0..p(n-1) (and extra) advance at time 0. */
function tableWithPeers(n: number, extra: MemberEntry[] = []): MemberTable {
  const t = createMemberTable({ id: 'me', peer: 'me:7000', http: 'me:8000', incarnation: 1, status: 'normal', epoch: 1 });
  const peers = [...Array.from({ length: n }, (_, i) => entry(`p${i}`)), ...extra];
  const heard = mergeDigest(t, peers.map((e) => ({ ...e, heartbeat: 0 })), 0).state;
  return mergeDigest(heard, peers, 0).state;
}

describe('selectGossipTargets', () => {
  test('picks fanout distinct live peers, never self or a member that left', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 12 }), fc.integer(), (n, seed) => {
        const t = tableWithPeers(n, [entry('gone', 1, { status: 'left' })]);
        const targets = selectGossipTargets(t, new Prng(seed), 100);
        expect(targets).toHaveLength(Math.min(3, n));
        expect(new Set(targets).size).toBe(targets.length);
        expect(targets.every((id) => /^p\d+$/.test(id))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  test('the same seed gives the same targets', () => {
    const t = tableWithPeers(20);
    expect(selectGossipTargets(t, new Prng(4), 100)).toEqual(selectGossipTargets(t, new Prng(4), 100));
  });

  test('spreads evenly over the live peers', () => {
    const t = tableWithPeers(10);
    const prng = new Prng('spread');
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) for (const id of selectGossipTargets(t, prng, 100)) counts.set(id, (counts.get(id) ?? 0) + 1);
    // 2000 rounds x 3 targets over 10 peers: 600 each.
    for (const c of counts.values()) expect(Math.abs(c - 600)).toBeLessThan(90);
  });

  test('sometimes adds one down peer, at about the configured chance', () => {
    // p0..p4 keep beating; "dead" beat at time 0 and never again.
    let t = tableWithPeers(5, [entry('dead')]);
    for (let now = 1000; now <= 30_000; now += 1000) t = mergeDigest(t, Array.from({ length: 5 }, (_, i) => entry(`p${i}`, now)), now).state;
    expect(isMemberAlive(t, 'dead', 30_000)).toBe(false);
    const prng = new Prng(1);
    let probes = 0;
    for (let i = 0; i < 1000; i++) {
      const targets = selectGossipTargets(t, prng, 30_000);
      expect(targets.length === 3 || (targets.length === 4 && targets[3] === 'dead')).toBe(true);
      if (targets.includes('dead')) probes++;
    }
    expect(Math.abs(probes / 1000 - t.config.downProbeChance)).toBeLessThan(0.05);
  });

  test('when fewer peers are live than the fanout, down peers fill the rest', () => {
    const t = tableWithPeers(4);
    // Nothing heard for a minute: every peer is down.
    const targets = selectGossipTargets(t, new Prng(2), 60_000);
    expect(targets).toHaveLength(3);
    expect(new Set(targets).size).toBe(3);
  });
});

describe('gossipRound and onGossip', () => {
  test('a round raises self\'s heartbeat and sends the whole view to each target', () => {
    const t = tableWithPeers(6);
    const { state, messages } = gossipRound(t, 500, new Prng(3));
    expect(selfEntry(state).heartbeat).toBe(selfEntry(t).heartbeat + 1);
    expect(messages).toHaveLength(3);
    for (const m of messages) {
      expect(m.digest).toEqual(gossipDigest(state));
      expect(m.digest.members.map((e) => e.id)).toEqual(['me', 'p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
    }
  });

  test('a received digest merges and says when a higher epoch is known', () => {
    const t = tableWithPeers(2);
    const r = onGossip(t, 'p0', { from: 'p0', members: [entry('p0', 5, { epoch: 3 })] }, 1000);
    expect(r.changed).toEqual(['p0']);
    expect(r.maxEpoch).toBe(3);
    expect(r.newerEpoch).toBe(true);
    expect(onGossip(t, 'p0', { from: 'p0', members: [entry('p0', 6)] }, 1000).newerEpoch).toBe(false);
  });

  test('a digest that claims another sender is ignored', () => {
    const t = tableWithPeers(2);
    const r = onGossip(t, 'p0', { from: 'p1', members: [entry('p1', 9)] }, 1000);
    expect(r.state).toBe(t);
    expect(r.changed).toEqual([]);
  });
});
