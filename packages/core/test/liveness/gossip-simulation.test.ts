// A tiny deterministic simulation of gossip among 100 nodes: lockstep rounds of one second, every
// message delivered 10 ms later. It measures how many rounds news needs to reach everyone, and how
// long a crashed node takes to be seen down and, once back, up again; it prints the figures.
import { describe, expect, test } from '@jest/globals';
import { gossipRound, onGossip } from '../../src/liveness/gossip-round.js';
import { createMemberTable, isMemberAlive, mergeDigest, updateSelf, type MemberTable } from '../../src/liveness/member-table.js';
import type { MemberEntry } from '../../src/liveness/member-entry.js';
import { Prng } from '../../src/util/prng.js';

const SEED = 'gossip-sim-1';
const NODES = 100;
const ROUND_MS = 1000;
const LATENCY_MS = 10;

class Cluster {
  readonly ids = Array.from({ length: NODES }, (_, i) => `n${String(i).padStart(3, '0')}`);
  readonly tables = new Map<string, MemberTable>();
  readonly prngs = new Map<string, Prng>();
  readonly crashed = new Set<string>();
  round = 0;

  constructor(seed: string) {
    const root = new Prng(seed);
    const bootstrap: MemberEntry[] = this.ids.map((id) => ({
      id, peer: `${id}:7000`, http: `${id}:8000`, incarnation: 1, heartbeat: 0, status: 'normal', epoch: 1,
    }));
    for (const id of this.ids) {
      const t = createMemberTable({ id, peer: `${id}:7000`, http: `${id}:8000`, incarnation: 1, status: 'normal', epoch: 1 });
      this.tables.set(id, mergeDigest(t, bootstrap, 0).state);
      this.prngs.set(id, root.fork(id));
    }
  }

  get nowMs(): number {
    return this.round * ROUND_MS;
  }

  /** One lockstep round: every running node gossips, then every message is delivered. */
  step(): void {
    this.round++;
    const sent: { from: string; to: string; digest: ReturnType<typeof gossipRound>['messages'][number]['digest'] }[] = [];
    for (const id of this.ids) {
      if (this.crashed.has(id)) continue;
      const r = gossipRound(this.tables.get(id) as MemberTable, this.nowMs, this.prngs.get(id) as Prng);
      this.tables.set(id, r.state);
      for (const m of r.messages) sent.push({ from: id, to: m.to, digest: m.digest });
    }
    for (const m of sent) {
      if (this.crashed.has(m.to)) continue;
      this.tables.set(m.to, onGossip(this.tables.get(m.to) as MemberTable, m.from, m.digest, this.nowMs + LATENCY_MS).state);
    }
  }

  /** Running nodes (other than about) that, halfway to the next round, consider `about` up (or down). */
  observers(about: string, alive: boolean): number {
    const at = this.nowMs + ROUND_MS / 2;
    return this.ids.filter((id) => id !== about && !this.crashed.has(id) && isMemberAlive(this.tables.get(id) as MemberTable, about, at) === alive).length;
  }

  /** Rounds until pred holds (at most limit), or Infinity. */
  roundsUntil(pred: () => boolean, limit: number): number {
    for (let i = 1; i <= limit; i++) {
      this.step();
      if (pred()) return i;
    }
    return Infinity;
  }
}

describe(`gossip among ${NODES} nodes (seed ${SEED})`, () => {
  test('spreads news in a few rounds, finds a crash in bounded time, and sees the recovery', () => {
    const c = new Cluster(SEED);
    const figures: Record<string, number> = {};

    // Start: liveness is unknown until each node sees each other's heartbeat advance.
    const everyoneSeesEveryone = (): boolean => c.ids.every((id) => c.observers(id, false) === 0);
    figures.roundsUntilAllSeeAllAlive = c.roundsUntil(everyoneSeesEveryone, 20);
    expect(figures.roundsUntilAllSeeAllAlive).toBeLessThanOrEqual(12);

    // Steady state: nobody is ever suspected.
    let falseSuspicions = 0;
    for (let i = 0; i < 15; i++) {
      c.step();
      for (const id of c.ids) falseSuspicions += c.observers(id, false);
    }
    figures.falseSuspicionsIn15Rounds = falseSuspicions;
    expect(falseSuspicions).toBe(0);

    // An epoch change at one node reaches every view of that node.
    c.tables.set('n000', updateSelf(c.tables.get('n000') as MemberTable, { epoch: 2 }));
    figures.roundsForEpochToReachAll = c.roundsUntil(
      () => c.ids.every((id) => (c.tables.get(id) as MemberTable).members.get('n000')?.epoch === 2),
      20,
    );
    expect(figures.roundsForEpochToReachAll).toBeLessThanOrEqual(12);

    // A crash is noticed by everyone in bounded time: the last heartbeat needs a few rounds to
    // reach everyone, then each observer waits mean + pause + ~5 deviations of what it saw.
    c.crashed.add('n050');
    figures.roundsUntilCrashSeenByFirst = c.roundsUntil(() => c.observers('n050', false) > 0, 30);
    figures.roundsUntilCrashSeenByAll = figures.roundsUntilCrashSeenByFirst + c.roundsUntil(() => c.observers('n050', true) === 0, 30);
    expect(figures.roundsUntilCrashSeenByFirst).toBeGreaterThanOrEqual(5);
    expect(figures.roundsUntilCrashSeenByAll).toBeLessThanOrEqual(20);

    // Still down for a while, then it comes back (same state, it resumes gossiping).
    c.roundsUntil(() => false, 3);
    c.crashed.delete('n050');
    figures.roundsUntilRecoverySeenByAll = c.roundsUntil(() => c.observers('n050', false) === 0, 20);
    expect(figures.roundsUntilRecoverySeenByAll).toBeLessThanOrEqual(10);

    console.log(`gossip simulation seed=${SEED} nodes=${NODES} fanout=3 round=${ROUND_MS}ms: ${JSON.stringify(figures)}`);
  });
});
