// One gossip round and the handling of a received digest: the two inputs of the gossip state
// machine. The server calls gossipRound on its gossip timer and sends the messages; it feeds every
// digest that arrives to onGossip. Randomness comes from the Prng passed in.
import type { Prng } from '../util/prng.js';
import {
  beatSelf,
  isMemberAlive,
  mergeDigest,
  selfEntry,
  type GossipDigest,
  type MemberTable,
  type MergeResult,
} from './member-table.js';

export interface GossipMessage {
  readonly to: string;
  readonly digest: GossipDigest;
}

export interface GossipRoundResult {
  readonly state: MemberTable;
  readonly messages: GossipMessage[];
}

export interface OnGossipResult extends MergeResult {
  /** Whether some member knows a higher epoch than self: the server should fetch it. */
  readonly newerEpoch: boolean;
}

/** The message self sends: its whole view, ordered by id so equal views give equal digests. */
export function gossipDigest(table: MemberTable): GossipDigest {
  const members = [...table.members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { from: table.selfId, members };
}

/**
 * Up to count peers to gossip to: distinct, chosen at random among the live ones; when fewer are
 * live, the rest among the down ones (a node cut off from everyone keeps trying); otherwise, with
 * the configured chance, one down peer too, so a recovered peer hears from us and we from it.
 * Members that have left are never chosen.
 */
export function selectGossipTargets(table: MemberTable, prng: Prng, nowMs: number, count = table.config.fanout): string[] {
  const live: string[] = [];
  const down: string[] = [];
  const ids = [...table.members.keys()].sort();
  for (const id of ids) {
    if (id === table.selfId || table.members.get(id)?.status === 'left') continue;
    (isMemberAlive(table, id, nowMs) ? live : down).push(id);
  }
  const targets = prng.shuffle(live).slice(0, count);
  if (down.length === 0) return targets;
  if (targets.length < count) return [...targets, ...prng.shuffle(down).slice(0, count - targets.length)];
  if (prng.chance(table.config.downProbeChance)) targets.push(prng.pick(down));
  return targets;
}

/** One round: self's heartbeat rises, and its view goes to the chosen peers. */
export function gossipRound(state: MemberTable, nowMs: number, prng: Prng): GossipRoundResult {
  const next = beatSelf(state);
  const digest = gossipDigest(next);
  const messages = selectGossipTargets(next, prng, nowMs).map((to) => ({ to, digest }));
  return { state: next, messages };
}

/**
 * A digest arrived from peer `from` (as the transport authenticated it). A digest that claims to
 * come from someone else is ignored: it is a bug or a forgery, and merging it could fake liveness.
 */
export function onGossip(state: MemberTable, from: string, digest: GossipDigest, nowMs: number): OnGossipResult {
  if (digest.from !== from || !Array.isArray(digest.members)) {
    return { state, changed: [], maxEpoch: 0, refuted: false, newerEpoch: false };
  }
  const result = mergeDigest(state, digest.members, nowMs);
  return { ...result, newerEpoch: result.maxEpoch > selfEntry(result.state).epoch };
}
