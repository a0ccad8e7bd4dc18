// The gossip member table of one node: every member's newest entry, and locally, per peer, a phi
// accrual detector fed whenever that peer's (incarnation, heartbeat) advances. Liveness is never
// gossiped, only observed: a node is up for me when I keep hearing of its heartbeat rising.
// The table is an immutable value: every function returns a new table and leaves its input as it
// was (detectors are copied on write), so a simulator can keep, compare and replay states.
import {
  compareEntries,
  compareVersions,
  copyEntry,
  isMemberEntry,
  normalizeEntry,
  type MemberEntry,
} from './member-entry.js';
import type { MemberStatus } from '../membership/member-record.js';
import { DEFAULT_PHI_OPTIONS, PhiAccrualDetector, type PhiAccrualOptions } from './phi-accrual-detector.js';

export interface GossipConfig {
  /** Live peers each round's digest goes to. */
  readonly fanout: number;
  /** Chance per round of also sending to one peer we think is down, to notice its recovery. */
  readonly downProbeChance: number;
  readonly detector: PhiAccrualOptions;
}

export function defaultGossipConfig(): GossipConfig {
  return Object.freeze({
    fanout: 3, // docs/design.md "Defaults": gossip every second to 3 peers; news reaches 100 nodes in ~7 rounds.
    downProbeChance: 0.25, // a down peer hears from each live node every ~4 rounds, cheaply.
    detector: DEFAULT_PHI_OPTIONS,
  });
}

export interface PeerLiveness {
  readonly detector: PhiAccrualDetector;
  /** When this node last saw the peer's (incarnation, heartbeat) advance. */
  readonly lastAdvanceMs: number;
}

export interface MemberTable {
  readonly selfId: string;
  readonly config: GossipConfig;
  /** Every known member's newest entry, self included. */
  readonly members: ReadonlyMap<string, MemberEntry>;
  /** Per peer (never self) whose version has been seen to advance, what this node observed. */
  readonly liveness: ReadonlyMap<string, PeerLiveness>;
}

/** A gossip message: the sender's whole view. */
export interface GossipDigest {
  readonly from: string;
  readonly members: readonly MemberEntry[];
}

export interface MergeResult {
  readonly state: MemberTable;
  /** Members whose entry changed (self included when it refuted), in digest order. */
  readonly changed: string[];
  /** The highest epoch any entry of the digest claims (0 for none). */
  readonly maxEpoch: number;
  /** Whether the digest carried a newer entry for self, which self has now outbid. */
  readonly refuted: boolean;
}

export interface SelfInit {
  readonly id: string;
  readonly peer: string;
  readonly http: string;
  readonly zone?: string;
  /**
   * The starting incarnation; must exceed any this member used before it restarted (the server
   * persists it, or uses its start time in ms). If it does not, self refutes the old entry as soon
   * as someone gossips it back, at the cost of a round.
   */
  readonly incarnation: number;
  readonly status?: MemberStatus;
  readonly epoch?: number;
}

export function createMemberTable(self: SelfInit, config: GossipConfig = defaultGossipConfig()): MemberTable {
  const entry = normalizeEntry({ status: 'joining', epoch: 0, ...self, heartbeat: 0 });
  if (!entry) throw new TypeError(`invalid self entry for member table: ${JSON.stringify(self)}`);
  return { selfId: entry.id, config, members: new Map([[entry.id, entry]]), liveness: new Map() };
}

export function selfEntry(table: MemberTable): MemberEntry {
  return table.members.get(table.selfId) as MemberEntry;
}

/**
 * Merges a remote view into the local table at nowMs. Per member the greater entry wins; a peer
 * whose version advanced counts as a heartbeat for its detector (a newly learned one does not).
 * Self is never overwritten: a newer entry for self (a stale rumour, or our own from before a
 * restart) makes self raise its incarnation above it, as memberlist refutes suspicion, and the
 * new entry spreads.
 */
export function mergeDigest(table: MemberTable, remote: readonly unknown[], nowMs: number): MergeResult {
  let members: Map<string, MemberEntry> | undefined;
  let liveness: Map<string, PeerLiveness> | undefined;
  const changed: string[] = [];
  let maxEpoch = 0;
  let refuted = false;
  for (const raw of remote) {
    // Validate in place and copy only winners: most entries of a digest are not news.
    if (!isMemberEntry(raw)) continue;
    maxEpoch = Math.max(maxEpoch, raw.epoch);
    const current = (members ?? table.members).get(raw.id);
    if (current && compareEntries(raw, current) <= 0) continue;
    const e = copyEntry(raw);
    members ??= new Map(table.members);
    if (e.id === table.selfId) {
      const me = current as MemberEntry;
      members.set(e.id, Object.freeze({ ...me, incarnation: Math.max(me.incarnation, e.incarnation) + 1 }));
      if (!refuted) changed.push(e.id);
      refuted = true;
      continue;
    }
    members.set(e.id, e);
    changed.push(e.id);
    // Only an advance is a sign of life: a member first heard of may be long dead, its entry
    // passed along by others, so its liveness stays unknown (not alive) until its version rises.
    if (current && compareVersions(e, current) > 0) {
      liveness ??= new Map(table.liveness);
      const prior = liveness.get(e.id);
      const detector = prior ? prior.detector.clone() : new PhiAccrualDetector(table.config.detector);
      detector.heartbeat(nowMs);
      liveness.set(e.id, { detector, lastAdvanceMs: nowMs });
    }
  }
  if (!members) return { state: table, changed, maxEpoch, refuted };
  return { state: { ...table, members, liveness: liveness ?? table.liveness }, changed, maxEpoch, refuted };
}

/**
 * Whether id counts as up at nowMs: self always; a peer once its version has been seen to advance,
 * while its phi stays under the threshold. Members that left are never up.
 */
export function isMemberAlive(table: MemberTable, id: string, nowMs: number): boolean {
  if (id === table.selfId) return true;
  const entry = table.members.get(id);
  const live = table.liveness.get(id);
  if (!entry || !live || entry.status === 'left') return false;
  return live.detector.isAvailable(nowMs);
}

/** The suspicion level of a peer at nowMs (0 for self; Infinity for one never seen advancing). */
export function memberPhi(table: MemberTable, id: string, nowMs: number): number {
  if (id === table.selfId) return 0;
  return table.liveness.get(id)?.detector.phi(nowMs) ?? Infinity;
}

export interface MemberView extends MemberEntry {
  readonly alive: boolean;
  readonly phi: number;
}

/** Every member with its local liveness, by id: what GET /cluster and metrics show. */
export function describeMembers(table: MemberTable, nowMs: number): MemberView[] {
  return [...table.members.values()]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((e) => ({ ...e, alive: isMemberAlive(table, e.id, nowMs), phi: memberPhi(table, e.id, nowMs) }));
}

/**
 * Changes self's own entry. The heartbeat rises with every change so that one version always names
 * one content, and the change wins wherever it arrives.
 */
export function updateSelf(
  table: MemberTable,
  change: Partial<Pick<MemberEntry, 'peer' | 'http' | 'zone' | 'status' | 'epoch'>>,
): MemberTable {
  const me = selfEntry(table);
  if (change.epoch !== undefined && change.epoch < me.epoch) change = { ...change, epoch: me.epoch };
  const next = normalizeEntry({ ...me, ...change, heartbeat: me.heartbeat + 1 });
  if (!next) throw new TypeError(`invalid change of self entry: ${JSON.stringify(change)}`);
  return withSelf(table, next);
}

/** Raises self's heartbeat by one: what each gossip round does before sending. */
export function beatSelf(table: MemberTable): MemberTable {
  const me = selfEntry(table);
  return withSelf(table, Object.freeze({ ...me, heartbeat: me.heartbeat + 1 }));
}

/**
 * Drops a peer (the authoritative membership removed it). Peers that still list it can gossip it
 * back; the server drops it again, or keeps it as 'left' until every view has it so.
 */
export function forgetMember(table: MemberTable, id: string): MemberTable {
  if (id === table.selfId || !table.members.has(id)) return table;
  const members = new Map(table.members);
  const liveness = new Map(table.liveness);
  members.delete(id);
  liveness.delete(id);
  return { ...table, members, liveness };
}

function withSelf(table: MemberTable, entry: MemberEntry): MemberTable {
  const members = new Map(table.members);
  members.set(table.selfId, entry);
  return { ...table, members };
}
