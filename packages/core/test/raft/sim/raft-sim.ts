// Deterministic simulation of a Raft group: one seed drives every choice (faults, delays, client
// proposals, crashes). A safety phase runs with faults and invariant checks after every action;
// a liveness phase heals everything and demands a leader and a commit on every member.
import { RaftNode } from '../../../src/raft/raft-node.js';
import type { Ready } from '../../../src/raft/ready.js';
import { MemoryRaftStorage } from '../../../src/raft/storage.js';
import type { Entry, Snapshot } from '../../../src/raft/types.js';
import type { Rng } from '../prng.js';
import { chance, fork, seededRng, pick, randInt } from '../prng.js';
import { SafetyChecker } from './checkers.js';
import { SimNetwork } from './sim-network.js';
import type { NetOptions } from './sim-network.js';
import { MembershipScript } from './membership-script.js';

export interface SimOptions {
  seed: number;
  steps: number;
  voters: string[];
  /** Nodes that run from the start with empty storage and may be added by the membership script. */
  spares: string[];
  membership: boolean;
  net: NetOptions;
  crashP: number;
  restartP: number;
  /** On crash, chance the Ready being persisted was torn: entries written, hard state not. */
  tornWriteP: number;
  partitionP: number;
  healP: number;
  proposeP: number;
  /** Chance per step that a node handles its Ready (lower: more unpersisted state at crashes). */
  readyP: number;
  /** Ticks a node's clock misses per step (clock rate drift). */
  tickSkipP: number;
  compactAfter: number;
  livenessTicksMax: number;
}

export function randomSimOptions(seed: number, steps: number, membership: boolean): SimOptions {
  const r = seededRng(seed ^ 0x5eed);
  const voterCount = membership ? 3 : pick(r, [1, 3, 3, 5, 5]);
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
  return {
    seed,
    steps,
    voters: ids.slice(0, voterCount),
    spares: membership ? ['n4', 'n5'] : [],
    membership,
    net: { dropP: r() * 0.2, dupP: r() * 0.1, delayTicksMax: randInt(r, 1, 5) },
    crashP: r() * 0.03,
    restartP: 0.1 + r() * 0.2,
    tornWriteP: 0.3,
    partitionP: r() * 0.03,
    healP: 0.05 + r() * 0.1,
    proposeP: 0.1 + r() * 0.4,
    readyP: 0.5 + r() * 0.5,
    tickSkipP: r() * 0.2,
    compactAfter: randInt(r, 5, 40),
    livenessTicksMax: 600,
  };
}

export interface SimResult {
  committed: number;
  leaders: number;
  crashes: number;
  livenessTicks: number;
  messages: number;
}

interface SimNode {
  id: string;
  storage: MemoryRaftStorage;
  node: RaftNode | null;
  rng: Rng;
  /** The application: how far it applied, and a hash of its state (the membership data stand-in). */
  appIndex: number;
  appHash: number;
  storageDirty: boolean;
}

function mixHash(h: number, e: Entry): number {
  let x = (h ^ e.index ^ (e.term << 16)) >>> 0;
  for (const b of e.data) x = Math.imul(x ^ b, 16777619) >>> 0;
  return Math.imul(x ^ (e.type === 'confChange' ? 1 : 0), 16777619) >>> 0;
}

function encodeHash(h: number): Uint8Array {
  return new Uint8Array([h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255]);
}

function decodeHash(b: Uint8Array): number {
  return b.length < 4 ? 0 : ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

export class RaftSim {
  readonly rng: Rng;
  readonly net: SimNetwork;
  readonly checker = new SafetyChecker();
  readonly nodes = new Map<string, SimNode>();
  private readonly script: MembershipScript | null;
  now = 0;
  crashes = 0;
  private proposals = 0;

  constructor(readonly opts: SimOptions) {
    this.rng = seededRng(opts.seed);
    this.net = new SimNetwork(fork(this.rng), opts.net);
    for (const id of [...opts.voters, ...opts.spares]) {
      const storage = opts.voters.includes(id) ? MemoryRaftStorage.bootstrap(opts.voters) : new MemoryRaftStorage();
      const sn: SimNode = { id, storage, node: null, rng: fork(this.rng), appIndex: 0, appHash: 0, storageDirty: true };
      this.nodes.set(id, sn);
      this.start(sn);
    }
    this.script = opts.membership ? new MembershipScript(fork(this.rng), opts.voters, opts.spares) : null;
  }

  private start(sn: SimNode): void {
    sn.node = new RaftNode({ id: sn.id, rng: fork(sn.rng), storage: sn.storage });
    const snap = sn.storage.snapshot();
    sn.appIndex = snap.metadata.index;
    sn.appHash = decodeHash(snap.data);
    this.checker.forget(sn.id);
  }

  private readonly durableLast = (id: string): number => this.nodes.get(id)?.storage.lastIndex() ?? 0;

  live(): Map<string, RaftNode> {
    const m = new Map<string, RaftNode>();
    for (const sn of this.nodes.values()) if (sn.node) m.set(sn.id, sn.node);
    return m;
  }

  /** The leader of the highest term among live nodes, if any. */
  leader(): RaftNode | null {
    let best: RaftNode | null = null;
    for (const n of this.live().values()) {
      const st = n.basicStatus();
      if (st.role === 'leader' && (!best || st.term > best.basicStatus().term)) best = n;
    }
    return best;
  }

  // ---- node I/O ----

  private handleReady(sn: SimNode): void {
    const node = sn.node;
    if (!node || !node.hasReady()) return;
    const rd = node.ready();
    sn.storage.saveReady(rd);
    sn.storageDirty = true;
    this.apply(sn, rd);
    for (const m of rd.messages) this.net.send(m, this.now);
    node.advance();
  }

  private apply(sn: SimNode, rd: Ready): void {
    if (rd.snapshot) this.applySnapshot(sn, rd.snapshot);
    for (const e of rd.committedEntries) {
      if (e.index !== sn.appIndex + 1) throw new Error(`${sn.id} applies ${e.index} after ${sn.appIndex}`);
      sn.appHash = mixHash(sn.appHash, e);
      sn.appIndex = e.index;
      this.checker.onApply(sn.id, e, sn.appHash);
    }
  }

  private applySnapshot(sn: SimNode, s: Snapshot): void {
    const h = decodeHash(s.data);
    if (s.metadata.index <= sn.appIndex) throw new Error(`${sn.id} got a snapshot at ${s.metadata.index} <= applied ${sn.appIndex}`);
    this.checker.onSnapshotState(sn.id, s.metadata.index, h);
    sn.appIndex = s.metadata.index;
    sn.appHash = h;
  }

  private crash(sn: SimNode): void {
    const node = sn.node;
    if (!node) return;
    if (node.hasReady() && chance(this.rng, this.opts.tornWriteP)) {
      // Torn write: the crash hit between writing the log and the hard state. Nothing was sent.
      const rd = node.ready();
      if (rd.snapshot) sn.storage.applySnapshot(rd.snapshot);
      sn.storage.append(rd.entries);
      sn.storageDirty = true;
    }
    sn.node = null;
    this.crashes++;
  }

  private maybeCompact(sn: SimNode): void {
    const node = sn.node;
    if (!node) return;
    const st = node.basicStatus();
    if (st.applied !== sn.appIndex) throw new Error(`${sn.id}: node applied ${st.applied}, app ${sn.appIndex}`);
    if (st.applied - st.snapshotIndex < this.opts.compactAfter) return;
    const snap = node.compact(st.applied, encodeHash(sn.appHash));
    sn.storage.compact(snap);
    sn.storageDirty = true;
    this.checker.onSnapshotState(sn.id, st.applied, sn.appHash);
  }

  propose(at: RaftNode, tag: string): ReturnType<RaftNode['propose']> {
    let res = at.propose(new TextEncoder().encode(tag));
    // A client forwards to the leader it is told about.
    const fwd = !res.ok ? res.error.leader : null;
    const target = fwd ? this.nodes.get(fwd)?.node : null;
    if (target) res = target.propose(new TextEncoder().encode(tag));
    return res;
  }

  // ---- one step of simulated time ----

  step(faults: boolean): void {
    this.now++;
    type Action = () => void;
    const actions: Action[] = [];
    for (const m of this.net.due(this.now)) actions.push(() => this.nodes.get(m.to)?.node?.step(m));
    for (const sn of this.nodes.values()) {
      if (!faults || !chance(this.rng, this.opts.tickSkipP)) actions.push(() => sn.node?.tick());
      if (!faults || chance(this.rng, this.opts.readyP)) actions.push(() => this.handleReady(sn));
    }
    for (let i = actions.length - 1; i > 0; i--) {
      const j = Math.floor(this.rng() * (i + 1));
      [actions[i], actions[j]] = [actions[j], actions[i]];
    }
    const live = this.live(); // actions never crash or start a node
    for (const a of actions) {
      a();
      this.checker.afterAction(live, this.durableLast);
    }
    if (faults) this.nemesis();
    if (faults && chance(this.rng, this.opts.proposeP)) {
      const live = [...this.live().values()];
      if (live.length > 0) this.propose(pick(this.rng, live), `p${this.proposals++}`);
    }
    for (const sn of this.nodes.values()) if (chance(this.rng, 0.2)) this.maybeCompact(sn);
    if (this.script) this.script.maybeAct(this);
    this.checker.afterAction(this.live(), this.durableLast);
    this.checker.afterStep(this.live());
    for (const sn of this.nodes.values()) {
      // An unchanged storage was checked already (registered entries never change).
      if (!sn.storageDirty) continue;
      sn.storageDirty = false;
      const s = sn.storage.snapshot().metadata;
      this.checker.checkLog(`storage ${sn.id}`, s.index + 1, s.term, sn.storage.entries(), true);
    }
  }

  private nemesis(): void {
    const o = this.opts;
    const all = [...this.nodes.values()];
    for (const sn of all) {
      if (sn.node && chance(this.rng, o.crashP)) this.crash(sn);
      else if (!sn.node && chance(this.rng, o.restartP)) this.start(sn);
    }
    if (!this.net.isPartitioned() && chance(this.rng, o.partitionP)) this.net.partition([...this.nodes.keys()]);
    else if (this.net.isPartitioned() && chance(this.rng, o.healP)) this.net.heal();
  }

  /** Heals everything, then waits for a leader that commits a new entry on every member. */
  liveness(): number {
    this.net.heal();
    this.net.opts = { dropP: 0, dupP: 0, delayTicksMax: 1 };
    for (const sn of this.nodes.values()) if (!sn.node) this.start(sn);
    let pending: { index: number; term: number } | null = null;
    for (let t = 0; t < this.opts.livenessTicksMax; t++) {
      this.step(false);
      const leader = this.leader();
      if (!leader) continue;
      const st = leader.status();
      if (pending && this.doneEverywhere(pending, [...st.config.voters, ...st.config.learners])) return t;
      // A proposal made under an earlier leader may be lost: propose again unless it was applied.
      const a = pending ? this.checker.applied.get(pending.index) : undefined;
      if (!pending || (st.term > pending.term && (!a || a.term !== pending.term))) {
        const res = this.propose(leader, `live${t}`);
        if (res.ok) pending = { index: res.index, term: res.term };
      }
    }
    const states = [...this.nodes.values()].map((sn) => JSON.stringify({ ...sn.node?.status(), progress: undefined }));
    throw new Error(`liveness: no commit on every member within ${this.opts.livenessTicksMax} ticks\n${states.join('\n')}`);
  }

  private doneEverywhere(p: { index: number; term: number }, members: string[]): boolean {
    const a = this.checker.applied.get(p.index);
    if (!a || a.term !== p.term) return false;
    return members.every((id) => (this.nodes.get(id)?.appIndex ?? 0) >= p.index);
  }

  run(): SimResult {
    for (let s = 0; s < this.opts.steps; s++) this.step(true);
    let livenessTicks = this.liveness();
    if (this.script) {
      // Let the membership script finish on a healthy cluster, then demand liveness again.
      for (let s = 0; s < 3000 && !this.script.done(); s++) this.step(false);
      this.script.finish(this);
      livenessTicks = Math.max(livenessTicks, this.liveness());
    }
    return {
      committed: this.checker.committed.size,
      leaders: this.checker.leaderTerms(),
      crashes: this.crashes,
      livenessTicks,
      messages: this.net.sent,
    };
  }
}
