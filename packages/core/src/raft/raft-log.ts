// The node's in-memory log: the latest snapshot, every entry after it, and three marks on it:
// committed (known durable on a quorum), applied (handed out and confirmed by advance) and
// stabled (handed out for persisting and confirmed by advance). Entries after `stabled` and a
// pending snapshot are what the next Ready asks the caller to persist.
import type { Entry, Snapshot } from './types.js';

export class RaftLog {
  snapshot: Snapshot;
  entries: Entry[];
  committed: number;
  applied: number;
  stabled: number;
  /** A snapshot received from the leader that the caller has not yet persisted. */
  pendingSnapshot: Snapshot | null = null;

  constructor(snapshot: Snapshot, entries: Entry[], committed: number, applied: number) {
    this.snapshot = snapshot;
    this.entries = entries;
    const first = snapshot.metadata.index;
    entries.forEach((e, i) => {
      if (e.index !== first + 1 + i) throw new RangeError(`entry ${e.index} out of place after snapshot ${first}`);
    });
    this.stabled = this.lastIndex();
    this.committed = Math.max(committed, first);
    this.applied = Math.max(applied, first);
    if (this.committed > this.lastIndex()) throw new RangeError(`commit ${committed} beyond last index ${this.lastIndex()}`);
    if (this.applied > this.committed) throw new RangeError(`applied ${applied} beyond commit ${this.committed}`);
  }

  get snapIndex(): number {
    return this.snapshot.metadata.index;
  }

  firstIndex(): number {
    return this.snapIndex + 1;
  }

  lastIndex(): number {
    return this.snapIndex + this.entries.length;
  }

  /** Term of the entry at `i`; undefined if compacted away or not there yet. */
  term(i: number): number | undefined {
    const s = this.snapIndex;
    if (i === s) return this.snapshot.metadata.term;
    if (i < s || i > this.lastIndex()) return undefined;
    return this.entries[i - s - 1].term;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) as number;
  }

  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t;
  }

  /** Raft's vote rule: is a log ending at (index, term) at least as up to date as ours? */
  isUpToDate(index: number, term: number): boolean {
    const lt = this.lastTerm();
    return term > lt || (term === lt && index >= this.lastIndex());
  }

  /** Entries in [lo, hi); undefined if lo was compacted. */
  slice(lo: number, hi: number): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined;
    const s = this.snapIndex;
    return this.entries.slice(lo - s - 1, Math.min(hi, this.lastIndex() + 1) - s - 1);
  }

  entry(i: number): Entry | undefined {
    if (i <= this.snapIndex || i > this.lastIndex()) return undefined;
    return this.entries[i - this.snapIndex - 1];
  }

  /** Index of the first of `ents` whose term differs from ours (or that we lack), 0 if none. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /**
   * For fast backtracking: the largest index <= `index` whose term is <= `term`, with its term.
   * Entries with a bigger term cannot match a log whose entry at `index` has `term`, so the
   * leader can skip them all in one round trip.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let i = Math.min(index, this.lastIndex());
    for (; i > this.snapIndex; i--) {
      const t = this.term(i) as number;
      if (t <= term) return { index: i, term: t };
    }
    return { index: i, term: this.term(i) ?? 0 };
  }

  /**
   * Appends the leader's entries following (index, logTerm) if we have that entry. Returns the
   * index of the last new entry, or undefined on mismatch. Never truncates committed entries.
   */
  maybeAppend(index: number, logTerm: number, leaderCommit: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) throw new Error(`raft: conflict at ${ci} within committed ${this.committed}`);
      this.append(ents.slice(ci - index - 1));
    }
    return lastNew;
  }

  /** Truncates at ents[0].index and appends (leader appends go through here too). */
  append(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const after = ents[0].index;
    if (after <= this.committed) throw new Error(`raft: append at ${after} within committed ${this.committed}`);
    if (after > this.lastIndex() + 1) throw new Error(`raft: append at ${after} leaves a gap after ${this.lastIndex()}`);
    this.entries = this.entries.slice(0, after - this.snapIndex - 1).concat(ents);
    this.stabled = Math.min(this.stabled, after - 1);
  }

  unstableEntries(): Entry[] {
    return this.entries.slice(this.stabled - this.snapIndex);
  }

  /** Entries committed but not yet handed out for applying. */
  nextCommitted(from: number): Entry[] {
    const lo = Math.max(from, this.snapIndex) + 1;
    if (lo > this.committed) return [];
    return this.slice(lo, this.committed + 1) ?? [];
  }

  /** Marks entries up to (index, term) durable, unless they were overwritten meanwhile. */
  stableTo(index: number, term: number): void {
    if (index > this.stabled && this.matchTerm(index, term)) this.stabled = index;
  }

  /** Replaces the whole log by a snapshot from the leader. */
  restore(s: Snapshot): void {
    this.snapshot = s;
    this.entries = [];
    this.committed = s.metadata.index;
    this.stabled = s.metadata.index;
    this.pendingSnapshot = s;
  }

  /** Drops entries covered by a local snapshot `s` (at an applied index). */
  compact(s: Snapshot): void {
    const idx = s.metadata.index;
    this.entries = this.entries.slice(idx - this.snapIndex);
    this.snapshot = s;
  }
}
