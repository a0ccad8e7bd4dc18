// The read-only view of persisted Raft state that a RaftNode starts from, and an in-memory
// implementation for tests, the simulator and single-process use. The node reads the view ONCE, at
// construction; from then on it keeps its own copy of the (short, snapshot-trimmed) log and hands
// every change back through Ready, so the server only has to write what Ready says.
import type { ConfState, Entry, HardState, Snapshot } from './types.js';
import { EMPTY_HARD_STATE, emptySnapshot } from './types.js';
import type { Ready } from './ready.js';

export interface RaftStorageView {
  /** The last persisted HardState ({term: 0, vote: null, commit: 0} for a new node). */
  hardState(): HardState;
  /** The last persisted snapshot, with the configuration as of its index (index 0 if none). */
  snapshot(): Snapshot;
  /** Every persisted entry after the snapshot, contiguous from snapshot index + 1. */
  entries(): Entry[];
}

/**
 * The snapshot every founding member starts from: index 1, term 1, `voters` as the configuration.
 * All founders must use the same voters (order does not matter) and data. A node that joins later
 * starts empty and receives this or a later snapshot from the leader.
 */
export function bootstrapSnapshot(voters: readonly string[], data: Uint8Array = new Uint8Array(0)): Snapshot {
  const confState: ConfState = { voters: [...new Set(voters)].sort(), learners: [] };
  return { metadata: { index: 1, term: 1, confState }, data };
}

export class MemoryRaftStorage implements RaftStorageView {
  private hs: HardState;
  private snap: Snapshot;
  private ents: Entry[];

  constructor(init: { hardState?: HardState; snapshot?: Snapshot; entries?: Entry[] } = {}) {
    this.hs = { ...(init.hardState ?? EMPTY_HARD_STATE) };
    this.snap = init.snapshot ?? emptySnapshot();
    this.ents = [...(init.entries ?? [])];
  }

  /** Storage of a founding member (see bootstrapSnapshot). */
  static bootstrap(voters: readonly string[], data?: Uint8Array): MemoryRaftStorage {
    const snapshot = bootstrapSnapshot(voters, data);
    return new MemoryRaftStorage({ snapshot, hardState: { term: 1, vote: null, commit: 1 } });
  }

  hardState(): HardState {
    return { ...this.hs };
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  entries(): Entry[] {
    return [...this.ents];
  }

  lastIndex(): number {
    return this.snap.metadata.index + this.ents.length;
  }

  setHardState(hs: HardState): void {
    this.hs = { ...hs };
  }

  /** Drops every entry at or after entries[0].index, then appends `entries`. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0].index;
    const base = this.snap.metadata.index;
    if (first <= base) throw new RangeError(`append at ${first} is behind snapshot ${base}`);
    if (first > this.lastIndex() + 1) throw new RangeError(`append at ${first} leaves a gap after ${this.lastIndex()}`);
    this.ents = this.ents.slice(0, first - base - 1).concat(entries);
  }

  /** Replaces the whole log by `snap` (a snapshot received from the leader). */
  applySnapshot(snap: Snapshot): void {
    this.snap = snap;
    this.ents = [];
  }

  /** Keeps `snap` (made by RaftNode.compact) and drops the entries it covers. */
  compact(snap: Snapshot): void {
    const idx = snap.metadata.index;
    if (idx <= this.snap.metadata.index) return;
    if (idx > this.lastIndex()) throw new RangeError(`compact at ${idx} beyond last index ${this.lastIndex()}`);
    this.ents = this.ents.slice(idx - this.snap.metadata.index);
    this.snap = snap;
  }

  /** Persists the durable parts of a Ready in the order the contract requires. */
  saveReady(rd: Ready): void {
    if (rd.snapshot) this.applySnapshot(rd.snapshot);
    this.append(rd.entries);
    if (rd.hardState) this.setHardState(rd.hardState);
  }
}
