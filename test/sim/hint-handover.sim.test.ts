// A node that leaves hands its hints over (HintedHandoff.handOver), under simulation: with n1 down,
// writes through n2 leave hints for n1 on the stand-ins, n4 among them. While n4 is cut off from
// everyone its hints stay put; once it can reach n2 and n3 again (n1 still down), every hint it
// holds moves to one of them, which delivers it when n1 comes back.
import { describe, expect, test } from '@jest/globals';
import { compareRecords, type StoredRecord } from '@ringkv/core';
import type { Hint, NodeRuntime } from '@ringkv/server';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimCluster, DEFAULT_CLUSTER } from './sim-cluster.js';
import { SimNetwork } from './sim-network.js';
import { Trace } from './trace.js';

const enc = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function allHints(scheduler: Scheduler, rt: NodeRuntime): Promise<Hint[]> {
  return scheduler.runUntilSettled(rt.hints.scan(100_000), 10_000, `hints of ${rt.config.id}`);
}

interface Sim {
  scheduler: Scheduler;
  network: SimNetwork;
  cluster: SimCluster;
  /** Runs the simulation until cond holds, or fails naming what it waited for. */
  waitFor(what: string, cond: () => boolean, maxMs?: number): Promise<void>;
}

/**
 * Runs body on a started cluster of four nodes (N=3, 16 partitions, anti-entropy manual: only hints
 * move data here), with the scheduler installed for its duration.
 */
async function withSim(seed: number, body: (sim: Sim) => Promise<void>): Promise<void> {
  const scheduler = new Scheduler(new Trace(200, false));
  const network = new SimNetwork(scheduler, new Prng(seed).fork('network'));
  const cluster = new SimCluster(scheduler, network, new Prng(seed).fork('cluster'), {
    ...DEFAULT_CLUSTER, nodes: 4, partitions: 16, antiEntropy: { manual: true },
  });
  await scheduler.runUntilSettled(cluster.startAll(), 60_000, 'cluster start');
  const waitFor = (what: string, cond: () => boolean, maxMs = 120_000) => scheduler.waitFor(what, cond, maxMs);
  await body({ scheduler, network, cluster, waitFor });
}

/**
 * n1 crashes and 60 writes go through n2 at w=2: n4 stands in for n1 on the partitions n1, n2 and
 * n3 own (a quarter of them) and keeps hints for it. Returns those hints (never none: the
 * precondition of every test that uses it).
 */
async function hintsForDownN1({ scheduler, cluster, waitFor }: Sim): Promise<Hint[]> {
  const [n2, n3, n4] = ['n2', 'n3', 'n4'].map((id) => cluster.runtime(id));
  cluster.crash('n1');
  await waitFor('n1 seen down', () => [n2, n3, n4].every((rt) => !rt.liveness.isUp('n1')));
  for (let i = 0; i < 60; i++) {
    await scheduler.runUntilSettled(n2.coordinator.put(enc(`k${i}`), enc(`v${i}`), { w: '2' }), 10_000, `put k${i}`);
  }
  const held = (await allHints(scheduler, n4)).filter((h) => h.target === 'n1');
  expect(held.length).toBeGreaterThan(0);
  return held;
}

/** The hints for n1 that n2 and n3 keep now. */
async function keptForN1(sim: Sim): Promise<Hint[]> {
  const [n2, n3] = ['n2', 'n3'].map((id) => sim.cluster.runtime(id));
  return [...await allHints(sim.scheduler, n2), ...await allHints(sim.scheduler, n3)].filter((h) => h.target === 'n1');
}

describe('hint hand-over when a node leaves', () => {
  test('hints for a down node move to a live member, stay while none is reachable, and reach the node when it is back', () => withSim(7, async (sim) => {
    const { scheduler, network, cluster, waitFor } = sim;
    const [n2, n3, n4] = ['n2', 'n3', 'n4'].map((id) => cluster.runtime(id));
    const held = await hintsForDownN1(sim);

    // Cut off from everyone: nowhere to put them, so nothing moves.
    network.partition([['n4'], ['n2', 'n3']]);
    await waitFor('n4 sees everyone down', () => !n4.liveness.isUp('n2') && !n4.liveness.isUp('n3'));
    const stuck = await scheduler.runUntilSettled(n4.handoff.handOver(), 60_000, 'hand-over while cut off');
    expect(stuck).toBe(held.length);
    expect((await allHints(scheduler, n4)).length).toBe(held.length);

    network.healPartitions();
    await waitFor('n4 sees n2 and n3 up', () => n4.liveness.isUp('n2') && n4.liveness.isUp('n3'));
    expect(n4.liveness.isUp('n1')).toBe(false);
    const left = await scheduler.runUntilSettled(n4.handoff.handOver(), 60_000, 'hand-over');
    expect(left).toBe(0);
    expect(await allHints(scheduler, n4)).toEqual([]);
    // Every hint n4 held is now kept for n1 by n2 or n3, with a record at least as new.
    const takenOver = await keptForN1(sim);
    for (const h of held) {
      const copy = takenOver.find((t) => t.partition === h.partition && text(t.key) === text(h.key));
      expect(copy && compareRecords(copy.record, h.record) >= 0).toBe(true);
    }

    // n1 comes back: the members that took the hints over deliver them.
    await scheduler.runUntilSettled(cluster.start('n1'), 60_000, 'restart n1');
    const n1 = cluster.runtime('n1');
    await waitFor('n2 and n3 see n1 up', () => n2.liveness.isUp('n1') && n3.liveness.isUp('n1'));
    for (let round = 0; ; round++) {
      let pending = 0;
      for (const rt of [n2, n3]) pending += (await scheduler.runUntilSettled(rt.handoff.pass(), 60_000, 'handoff')).pending;
      if (pending === 0) break;
      if (round === 10) throw new Error(`${pending} hints still pending`);
      await scheduler.runUntil(scheduler.nowMs + 1000);
    }
    for (const h of held) {
      const rec: StoredRecord | undefined = await scheduler.runUntilSettled(n1.store.read(h.partition, h.key), 10_000, 'read on n1');
      expect(rec && compareRecords(rec, h.record) >= 0).toBe(true);
    }
  }), 120_000);

  test('a node removed while alive stops serving and hands its hints over', () => withSim(7, async (sim) => {
    const { scheduler, cluster, waitFor } = sim;
    const [n2, n4] = ['n2', 'n4'].map((id) => cluster.runtime(id));
    const held = await hintsForDownN1(sim);
    // An operator takes n4 for dead and removes it; n4 learns of the new epoch.
    await scheduler.runUntilSettled(n2.membership.change({ op: 'remove', id: 'n4' }), 60_000, 'remove n4');
    await waitFor('n4 to leave', () => n4.topology.left);
    expect(n4.ready).toBe(false);
    expect(await allHints(scheduler, n4)).toEqual([]);
    const takenOver = await keptForN1(sim);
    for (const h of held) expect(takenOver.some((t) => t.partition === h.partition && text(t.key) === text(h.key))).toBe(true);
  }), 120_000);

  test('a leaving node reports that it has left only after a hand-over pass placed every hint', () => withSim(8, async ({ scheduler, cluster, waitFor }) => {
    const n4 = cluster.runtime('n4');
    // The first pass reports two hints it could not place (as when every target is down); what
    // the node looks like meanwhile is recorded at each pass.
    const seen: Array<{ removed: boolean; left: boolean; ready: boolean }> = [];
    const real = n4.handoff.handOver.bind(n4.handoff);
    n4.handoff.handOver = async () => {
      seen.push({ removed: n4.topology.removed, left: n4.topology.left, ready: n4.ready });
      return seen.length === 1 ? 2 : real();
    };
    await scheduler.runUntilSettled(n4.membership.change({ op: 'leave', id: 'n4' }), 60_000, 'leave');
    await waitFor('a first pass that could not place two hints', () => seen.length === 1 && n4.topology.progress.hintsPending === 2, 60_000);
    expect(n4.topology.progress.phase).toBe('handing-over-hints');
    expect(n4.readinessReason()).toMatch(/handing its hints over/);
    await waitFor('n4 to leave', () => n4.topology.left);
    expect(seen.length).toBe(2);
    expect(seen.every((s) => s.removed && !s.left && !s.ready)).toBe(true);
    expect(n4.topology.progress.hintsPending).toBe(0);
  }), 120_000);

  test('a removed node that restarts stays removed: the hand-over resumes, and after it the node has left', () => withSim(9, async ({ scheduler, cluster, waitFor }) => {
    const first = cluster.runtime('n4');
    // The hand-over cannot finish in this incarnation.
    first.handoff.handOver = async () => 1;
    await scheduler.runUntilSettled(first.membership.change({ op: 'leave', id: 'n4' }), 60_000, 'leave');
    await waitFor('a hand-over pass that placed nothing', () => first.topology.progress.hintsPending === 1, 60_000);
    expect(first.topology.progress.phase).toBe('handing-over-hints');

    cluster.crash('n4');
    await scheduler.runUntilSettled(cluster.start('n4'), 60_000, 'restart n4');
    const second = cluster.runtime('n4');
    expect(second.topology.removed).toBe(true);
    expect(second.ready).toBe(false);
    await waitFor('the restarted n4 to leave', () => second.topology.left, 60_000);

    cluster.crash('n4');
    await scheduler.runUntilSettled(cluster.start('n4'), 60_000, 'restart n4 again');
    const third = cluster.runtime('n4');
    expect(third.topology.left).toBe(true);
    expect(third.ready).toBe(false);
    expect(third.readinessReason()).toBe('decommissioned');
  }), 120_000);
});
