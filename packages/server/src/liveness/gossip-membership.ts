// Keeps the gossip table inside the authoritative membership (the Raft-agreed list of the latest
// applied epoch). Gossip carries liveness only: it never adds a member that list does not have, and
// drops those the list no longer has.
import {
  forgetMember,
  isMemberEntry,
  mergeDigest,
  selfEntry,
  updateSelf,
  type MemberEntry,
  type MemberRecord,
  type MemberTable,
} from '@ringkv/core';

/** A member as the membership lists it (core's one member record). */
export type GossipMember = MemberRecord;

/**
 * A placeholder entry stands for a listed member before anything was heard from it: the lowest
 * version (0, 0), so any real entry wins. Real entries always have an incarnation above 0 (the
 * member's start time in ms).
 */
export function isPlaceholder(e: MemberEntry): boolean {
  return e.incarnation === 0 && e.heartbeat === 0;
}

function placeholder(m: GossipMember): MemberEntry {
  return {
    id: m.id, peer: m.peer, http: m.http, ...(m.zone !== undefined ? { zone: m.zone } : {}),
    incarnation: 0, heartbeat: 0, status: m.status, epoch: 0,
  };
}

/**
 * The table with a placeholder for every listed member it lacks (so gossip rounds can pick them),
 * without the members the list no longer has, and with self's status as the list gives it.
 */
export function syncTable(table: MemberTable, listed: ReadonlyMap<string, GossipMember>, nowMs: number): MemberTable {
  let t = table;
  for (const id of t.members.keys()) if (id !== t.selfId && !listed.has(id)) t = forgetMember(t, id);
  const missing: MemberEntry[] = [];
  for (const m of listed.values()) if (!t.members.has(m.id)) missing.push(placeholder(m));
  if (missing.length > 0) t = mergeDigest(t, missing, nowMs).state;
  const mine = listed.get(t.selfId);
  if (mine && mine.status !== selfEntry(t).status) t = updateSelf(t, { status: mine.status });
  return t;
}

/**
 * The entries of a received digest worth merging: listed members (and self, so the core can refute
 * a stale rumour about it). Where the table holds only a placeholder, the placeholder is dropped
 * first, so the first real entry counts as "first heard" (liveness unknown), not as an advance: a
 * relayed entry of a member that died long ago must not make it look alive.
 */
export function admitEntries(
  table: MemberTable,
  entries: readonly unknown[],
  listed: ReadonlyMap<string, GossipMember>,
): { table: MemberTable; admitted: MemberEntry[] } {
  let t = table;
  const admitted: MemberEntry[] = [];
  for (const raw of entries) {
    // Malformed entries are left out here (the core would drop them too) so that one never
    // costs a placeholder its place.
    if (!isMemberEntry(raw)) continue;
    const id = raw.id;
    if (id !== t.selfId && !listed.has(id)) continue;
    const current = t.members.get(id);
    if (current && id !== t.selfId && isPlaceholder(current)) t = forgetMember(t, id);
    admitted.push(raw);
  }
  return { table: t, admitted };
}

/** The digest entries worth sending: placeholders say nothing the receiver does not know. */
export function outgoingEntries(members: readonly MemberEntry[]): MemberEntry[] {
  return members.filter((e) => !isPlaceholder(e));
}
