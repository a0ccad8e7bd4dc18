// Gossip at 100 and 1000 nodes: the figures issue #4 asks for, from a deterministic lockstep
// simulation of push-pull gossip (each exchange: the sender's digest to the target, the target's
// merged digest back), one-second rounds, every message 10 ms late, independent message loss.
//
// A full 1000-node run of the core tables does not fit in seconds (every node holds 1000 phi
// detectors of 100 samples, and each merge copies its maps), so the simulation is hybrid:
// - "core" nodes run the real MemberTable: gossipRound, onGossip, isMemberAlive (20 of the 100
//   nodes, 4 of the 1000; with all 100 real, the small run gave the same figures within a round);
// - the other nodes keep their view as flat arrays of (heartbeat, epoch) per member with the same
//   merge rule (the higher version wins; incarnations do not change here), choose targets by the
//   same rule as selectGossipTargets, and run the core's PhiAccrualDetector, fed exactly as
//   mergeDigest feeds it, for a few tracked members (the one that crashes among them).
// Liveness is measured wherever it is observable: core nodes about everyone, every node about the
// tracked members. Time to detect a crash therefore counts every one of the 999 other nodes.
import { afterAll, describe, expect, test } from '@jest/globals';
import { gossipDigest, gossipRound, onGossip, type GossipMessage } from '../../src/liveness/gossip-round.js';
import {
  createMemberTable,
  defaultGossipConfig,
  isMemberAlive,
  mergeDigest,
  updateSelf,
  type GossipDigest,
  type MemberTable,
} from '../../src/liveness/member-table.js';
import type { MemberEntry } from '../../src/liveness/member-entry.js';
import { PhiAccrualDetector } from '../../src/liveness/phi-accrual-detector.js';
import { Prng } from '../../src/util/prng.js';

const ROUND_MS = 1000;
const LATENCY_MS = 10;
const CONFIG = defaultGossipConfig();

/** A digest in flight: a core node's, or a compact node's heartbeats (a copy when pushed). */
interface Digest {
  readonly from: number;
  readonly core?: GossipDigest;
  readonly hb?: Int32Array;
}

class ScaleSim {
  readonly ids: string[];
  readonly index = new Map<string, number>();
  readonly tables: (MemberTable | undefined)[];
  readonly prngs: Prng[];
  readonly tracked: Uint8Array;
  readonly trackedList: number[];
  /** Compact views: the heartbeat of member m as node v knows it, at v * n + m. */
  readonly hb: Int32Array;
  /** When compact node v last saw member m advance (for its target choice), at v * n + m. */
  readonly lastAdvance: Float64Array;
  /**
   * Only a member changes its own epoch, and every change raises its heartbeat, so an entry's epoch
   * is a function of (member, heartbeat): compact views keep heartbeats only.
   */
  readonly epochBumps = new Map<number, { fromHeartbeat: number; epoch: number }[]>();
  /** Per compact node and tracked member, the detector (created on the first advance, as the core). */
  readonly detectors = new Map<number, PhiAccrualDetector>();
  readonly crashed = new Set<number>();
  readonly net: Prng;
  private readonly scratch: Uint8Array;
  loss = 0;
  round = 0;
  messagesSent = 0;

  constructor(readonly n: number, coreNodes: number, trackedIds: number[], seed: string) {
    const root = new Prng(seed);
    this.net = root.fork('network');
    this.ids = Array.from({ length: n }, (_, i) => `n${String(i).padStart(4, '0')}`);
    this.ids.forEach((id, i) => this.index.set(id, i));
    this.prngs = this.ids.map((id) => root.fork(id));
    this.tracked = new Uint8Array(n);
    this.trackedList = trackedIds;
    for (const t of trackedIds) this.tracked[t] = 1;
    this.hb = new Int32Array(n * n);
    this.lastAdvance = new Float64Array(n * n).fill(-Infinity);
    this.scratch = new Uint8Array(n);
    // Core nodes spread evenly: every (n / coreNodes)-th, node 0 included.
    const step = Math.max(1, Math.floor(n / coreNodes));
    const bootstrap = this.ids.map((id) => this.entry(id, 0, 1));
    this.tables = this.ids.map((id, i) => {
      if (i % step !== 0) return undefined;
      const t = createMemberTable({ id, peer: id, http: id, incarnation: 1, status: 'normal', epoch: 1 }, CONFIG);
      return mergeDigest(t, bootstrap, 0).state;
    });
  }

  get nowMs(): number {
    return this.round * ROUND_MS;
  }

  entry(id: string, heartbeat: number, epoch: number): MemberEntry {
    return { id, peer: id, http: id, incarnation: 1, heartbeat, status: 'normal', epoch };
  }

  epochAt(m: number, heartbeat: number): number {
    let epoch = 1;
    for (const b of this.epochBumps.get(m) ?? []) if (heartbeat >= b.fromHeartbeat) epoch = b.epoch;
    return epoch;
  }

  /** Whether v considers m alive at t; undefined where v keeps no detector for m. */
  alive(v: number, m: number, t: number): boolean | undefined {
    const table = this.tables[v];
    if (table) return isMemberAlive(table, this.ids[m], t);
    if (v === m) return true;
    if (!this.tracked[m]) return undefined;
    return this.detectors.get(v * this.n + m)?.isAvailable(t) ?? false;
  }

  /** The epoch of member m in v's view. */
  epochSeen(v: number, m: number): number {
    const table = this.tables[v];
    return table ? (table.members.get(this.ids[m])?.epoch ?? 0) : this.epochAt(m, this.hb[v * this.n + m]);
  }

  /** One lockstep round: every running node beats and picks targets; then exchanges run in random order. */
  step(): void {
    this.round++;
    const now = this.nowMs;
    const sends: { from: number; to: number; digest: Digest }[] = [];
    for (let v = 0; v < this.n; v++) {
      if (this.crashed.has(v)) continue;
      const table = this.tables[v];
      if (table) {
        const r = gossipRound(table, now, this.prngs[v]);
        this.tables[v] = r.state;
        for (const m of r.messages as GossipMessage[]) sends.push({ from: v, to: this.index.get(m.to) as number, digest: { from: v, core: m.digest } });
      } else {
        const o = v * this.n;
        this.hb[o + v]++;
        // The pushed digest is the view at send time: a copy, as later merges change the row.
        const digest = { from: v, hb: this.hb.slice(o, o + this.n) };
        for (const to of this.compactTargets(v, now)) sends.push({ from: v, to, digest });
      }
    }
    this.net.shuffle(sends);
    for (const s of sends) {
      this.messagesSent++;
      if (this.crashed.has(s.to) || this.net.chance(this.loss)) continue;
      this.merge(s.to, s.digest, now + LATENCY_MS);
      this.messagesSent++;
      if (this.net.chance(this.loss)) continue;
      this.merge(s.from, this.replyOf(s.to), now + 2 * LATENCY_MS);
    }
  }

  /** The reply digest, merged at once by the sender: a compact node's row needs no copy. */
  private replyOf(v: number): Digest {
    const table = this.tables[v];
    const o = v * this.n;
    return table ? { from: v, core: gossipDigest(table) } : { from: v, hb: this.hb.subarray(o, o + this.n) };
  }

  /** selectGossipTargets for a compact node: the same rule (untracked peers count live for 7.6 s after an advance). */
  private compactTargets(v: number, now: number): number[] {
    const { n, scratch, lastAdvance } = this;
    const o = v * n;
    const cutoff = now - 7600;
    const down: number[] = [];
    // A tight scan for the untracked; tracked members get their detector's verdict instead.
    for (let m = 0; m < n; m++) if (lastAdvance[o + m] <= cutoff && m !== v && !this.tracked[m]) down.push(m);
    for (const m of this.trackedList) if (m !== v && !this.alive(v, m, now)) down.push(m);
    const prng = this.prngs[v];
    const liveCount = n - 1 - down.length;
    let targets: number[];
    if (liveCount <= 2 * CONFIG.fanout) {
      const downSet = new Set(down);
      const live = this.ids.map((_, m) => m).filter((m) => m !== v && !downSet.has(m));
      targets = pickDistinct(live, CONFIG.fanout, prng);
    } else {
      // Uniform distinct live peers by rejection: cheaper than shuffling a thousand ids.
      for (const m of down) scratch[m] = 1;
      scratch[v] = 1;
      targets = [];
      while (targets.length < CONFIG.fanout) {
        const m = prng.int(0, n);
        if (scratch[m]) continue;
        scratch[m] = 1;
        targets.push(m);
      }
      for (const m of down) scratch[m] = 0;
      for (const m of targets) scratch[m] = 0;
      scratch[v] = 0;
    }
    if (down.length === 0) return targets;
    if (targets.length < CONFIG.fanout) return [...targets, ...pickDistinct(down, CONFIG.fanout - targets.length, prng)];
    if (prng.chance(CONFIG.downProbeChance)) targets.push(prng.pick(down));
    return targets;
  }

  private merge(v: number, d: Digest, now: number): void {
    const table = this.tables[v];
    const from = this.ids[d.from];
    if (table) {
      if (d.core) {
        this.tables[v] = onGossip(table, from, d.core, now).state;
        return;
      }
      // Only entries newer than the table's: the core would skip the others anyway.
      const members: MemberEntry[] = [];
      const hb = d.hb as Int32Array;
      for (let m = 0; m < this.n; m++) {
        const id = this.ids[m];
        if (hb[m] > (table.members.get(id)?.heartbeat ?? -1)) members.push(this.entry(id, hb[m], this.epochAt(m, hb[m])));
      }
      this.tables[v] = onGossip(table, from, { from, members }, now).state;
      return;
    }
    const o = v * this.n;
    const mine = this.hb;
    if (d.core) {
      for (const e of d.core.members) {
        const m = this.index.get(e.id) as number;
        if (e.heartbeat > mine[o + m]) this.advance(o, m, e.heartbeat, now);
      }
      return;
    }
    const hb = d.hb as Int32Array;
    for (let m = 0; m < this.n; m++) if (hb[m] > mine[o + m]) this.advance(o, m, hb[m], now);
  }

  private advance(o: number, m: number, heartbeat: number, now: number): void {
    this.hb[o + m] = heartbeat;
    this.lastAdvance[o + m] = now;
    if (!this.tracked[m]) return;
    let d = this.detectors.get(o + m);
    if (!d) {
      d = new PhiAccrualDetector(CONFIG.detector);
      this.detectors.set(o + m, d);
    }
    d.heartbeat(now);
  }

  /** Running observers (other than m) whose view of m is observable and equals `alive`, halfway to the next round. */
  observers(m: number, alive: boolean): number {
    const at = this.nowMs + ROUND_MS / 2;
    let count = 0;
    for (let v = 0; v < this.n; v++) {
      if (v === m || this.crashed.has(v)) continue;
      if (this.alive(v, m, at) === alive) count++;
    }
    return count;
  }

  /** Observable (observer, member) pairs, both running, where the observer thinks the member down. */
  falseDowns(): { pairs: number; checks: number; observers: Set<number> } {
    const at = this.nowMs + ROUND_MS / 2;
    let pairs = 0;
    let checks = 0;
    const observers = new Set<number>();
    const everyone = this.ids.map((_, m) => m);
    for (let v = 0; v < this.n; v++) {
      if (this.crashed.has(v)) continue;
      for (const m of this.tables[v] ? everyone : this.trackedList) {
        if (m === v || this.crashed.has(m)) continue;
        checks++;
        if (!this.alive(v, m, at)) {
          pairs++;
          observers.add(v);
        }
      }
    }
    return { pairs, checks, observers };
  }

  roundsUntil(pred: () => boolean, limit: number): number {
    for (let i = 1; i <= limit; i++) {
      this.step();
      if (pred()) return i;
    }
    return Infinity;
  }

  /** Member m's entry of at least `epoch` is in every running node's view. */
  epochEverywhere(m: number, epoch: number): boolean {
    for (let v = 0; v < this.n; v++) if (!this.crashed.has(v) && v !== m && this.epochSeen(v, m) < epoch) return false;
    return true;
  }

  /** A core node applies a new epoch (its entry changes, its heartbeat rises). */
  setEpoch(m: number, epoch: number): void {
    const table = this.tables[m];
    if (!table) throw new Error('epoch bumps are done on a core node');
    const next = updateSelf(table, { epoch });
    this.tables[m] = next;
    const bumps = this.epochBumps.get(m) ?? [];
    bumps.push({ fromHeartbeat: next.members.get(this.ids[m])?.heartbeat as number, epoch });
    this.epochBumps.set(m, bumps);
  }
}

/** Up to count distinct elements of arr, uniformly (a partial Fisher-Yates on a copy). */
function pickDistinct(arr: number[], count: number, prng: Prng): number[] {
  const a = arr.slice();
  const k = Math.min(count, a.length);
  for (let i = 0; i < k; i++) {
    const j = prng.int(i, a.length);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a.slice(0, k);
}

interface Figures {
  nodes: number;
  coreNodes: number;
  roundsUntilAllSeeAllAlive: number;
  roundsForEpochToReachAll: number;
  roundsUntilCrashSeenByFirst: number;
  roundsUntilCrashSeenByAll: number;
  roundsUntilRecoverySeenByAll: number;
  messagesPerNodePerSecond: number;
  falseDownRate10: number;
  falseDownObservers10: number;
  falseDownChecks10: number;
  falseDownRate30: number;
  falseDownObservers30: number;
  falseDownChecks30: number;
  crashSeenByAllUnder30: number;
}

const results: Figures[] = [];

function run(nodes: number, coreNodes: number, seed: string, lossRounds: number): Figures {
  const crash = Math.floor(nodes / 2) + 1; // a compact node in the large run
  const trackedIds = [crash, crash + 2, crash + 4, nodes - 1];
  const sim = new ScaleSim(nodes, coreNodes, trackedIds, seed);
  const f = { nodes, coreNodes } as Figures;
  const everyoneAlive = (): boolean => trackedIds.every((m) => sim.observers(m, false) === 0) && sim.falseDowns().pairs === 0;
  f.roundsUntilAllSeeAllAlive = sim.roundsUntil(everyoneAlive, 30);

  // Steady state, no loss: the message rate, and no suspicion at all.
  const sent0 = sim.messagesSent;
  let steadyFalse = 0;
  for (let i = 0; i < 5; i++) {
    sim.step();
    steadyFalse += sim.falseDowns().pairs;
  }
  f.messagesPerNodePerSecond = (sim.messagesSent - sent0) / nodes / 5 / (ROUND_MS / 1000);
  expect(steadyFalse).toBe(0);

  sim.setEpoch(0, 2);
  f.roundsForEpochToReachAll = sim.roundsUntil(() => sim.epochEverywhere(0, 2), 30);

  sim.crashed.add(crash);
  f.roundsUntilCrashSeenByFirst = sim.roundsUntil(() => sim.observers(crash, false) > 0, 40);
  f.roundsUntilCrashSeenByAll = f.roundsUntilCrashSeenByFirst + sim.roundsUntil(() => sim.observers(crash, true) === 0, 40);
  sim.roundsUntil(() => false, 3);
  sim.crashed.delete(crash);
  f.roundsUntilRecoverySeenByAll = sim.roundsUntil(() => sim.observers(crash, false) === 0, 20);

  const underLoss = (loss: number): { rate: number; observers: number; checks: number } => {
    sim.loss = loss;
    let pairs = 0;
    let checks = 0;
    const observers = new Set<number>();
    for (let i = 0; i < lossRounds; i++) {
      sim.step();
      const r = sim.falseDowns();
      pairs += r.pairs;
      checks += r.checks;
      for (const o of r.observers) observers.add(o);
    }
    return { rate: pairs / checks, observers: observers.size, checks };
  };
  ({ rate: f.falseDownRate10, observers: f.falseDownObservers10, checks: f.falseDownChecks10 } = underLoss(0.1));
  ({ rate: f.falseDownRate30, observers: f.falseDownObservers30, checks: f.falseDownChecks30 } = underLoss(0.3));
  // Under 30% loss a crash is still noticed by everyone.
  sim.crashed.add(crash);
  f.crashSeenByAllUnder30 = sim.roundsUntil(() => sim.observers(crash, true) === 0, 40);
  return f;
}

describe('gossip at scale (hybrid lockstep simulation, push-pull, fanout 3, 1 s rounds)', () => {
  test('100 nodes, 20 of them real core member tables', () => {
    const f = run(100, 20, 'gossip-scale-100', 15);
    results.push(f);
    expect(f.roundsUntilAllSeeAllAlive).toBeLessThanOrEqual(8);
    expect(f.roundsForEpochToReachAll).toBeLessThanOrEqual(8);
    expect(f.roundsUntilCrashSeenByFirst).toBeGreaterThanOrEqual(5);
    expect(f.roundsUntilCrashSeenByAll).toBeLessThanOrEqual(15);
    expect(f.roundsUntilRecoverySeenByAll).toBeLessThanOrEqual(5);
    expect(f.messagesPerNodePerSecond).toBeCloseTo(2 * CONFIG.fanout, 0);
    expect(f.falseDownRate10).toBe(0);
    expect(f.falseDownRate30).toBeLessThan(0.001);
    expect(f.crashSeenByAllUnder30).toBeLessThanOrEqual(20);
  }, 60_000);

  test('1000 nodes, 4 of them real core member tables, 4 members tracked by every node', () => {
    const f = run(1000, 4, 'gossip-scale-1000', 10);
    results.push(f);
    expect(f.roundsUntilAllSeeAllAlive).toBeLessThanOrEqual(12);
    expect(f.roundsForEpochToReachAll).toBeLessThanOrEqual(12);
    expect(f.roundsUntilCrashSeenByFirst).toBeGreaterThanOrEqual(5);
    expect(f.roundsUntilCrashSeenByAll).toBeLessThanOrEqual(20);
    expect(f.roundsUntilRecoverySeenByAll).toBeLessThanOrEqual(8);
    expect(f.messagesPerNodePerSecond).toBeCloseTo(2 * CONFIG.fanout, 0);
    expect(f.falseDownRate10).toBeLessThan(0.001);
    expect(f.falseDownRate30).toBeLessThan(0.01);
    expect(f.crashSeenByAllUnder30).toBeLessThanOrEqual(25);
  }, 120_000); // ~10 s of CPU; generous for shared runners
});

afterAll(() => {
  if (results.length === 0) return;
  const rows: [string, (f: Figures) => string][] = [
    ['real core tables (the rest compact)', (f) => `${f.coreNodes}`],
    ['rounds until every node sees every node alive (start)', (f) => `${f.roundsUntilAllSeeAllAlive}`],
    ['rounds for an epoch bump to reach every node', (f) => `${f.roundsForEpochToReachAll}`],
    ['s to detect a crash: first node', (f) => `${f.roundsUntilCrashSeenByFirst}`],
    ['s to detect a crash: all nodes', (f) => `${f.roundsUntilCrashSeenByAll}`],
    ['s until its recovery is seen by all', (f) => `${f.roundsUntilRecoverySeenByAll}`],
    ['s to detect a crash, all nodes, 30% loss', (f) => `${f.crashSeenByAllUnder30}`],
    ['false "down" verdicts, 10% loss: share of checks (nodes that erred; checks)', (f) => `${f.falseDownRate10.toExponential(1)} (${f.falseDownObservers10}; ${f.falseDownChecks10})`],
    ['false "down" verdicts, 30% loss: share of checks (nodes that erred; checks)', (f) => `${f.falseDownRate30.toExponential(1)} (${f.falseDownObservers30}; ${f.falseDownChecks30})`],
    ['messages sent per node per second (push + reply)', (f) => f.messagesPerNodePerSecond.toFixed(2)],
  ];
  const head = `| figure | ${results.map((f) => `${f.nodes} nodes`).join(' | ')} |`;
  const sep = `| --- | ${results.map(() => '---').join(' | ')} |`;
  const body = rows.map(([name, cell]) => `| ${name} | ${results.map(cell).join(' | ')} |`);
  console.log([head, sep, ...body].join('\n'));
});
