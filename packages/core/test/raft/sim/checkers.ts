// Raft safety checkers, apart from the system under test: they only look at what nodes expose
// (status, their in-memory log, their persisted storage, what they apply) and fail loudly.
import type { RaftNode } from '../../../src/raft/raft-node.js';
import type { Entry } from '../../../src/raft/types.js';

export class SafetyViolation extends Error {}

function fail(msg: string): never {
  throw new SafetyViolation(msg);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface RegisteredEntry {
  data: Uint8Array;
  type: Entry['type'];
  prevTerm: number;
}

export class SafetyChecker {
  /** Election safety: term -> the one leader it had. */
  private leaders = new Map<number, string>();
  /** Log matching, inductively: an (index, term) pair always has the same data and predecessor term. */
  private registry = new Map<number, Map<number, RegisteredEntry>>();
  /** Committed entries: index -> term, and the term of the leader that committed it. */
  readonly committed = new Map<number, { term: number; commitTerm: number }>();
  private commitSeen = new Map<string, number>();
  /** State machine safety: index -> the entry applied there, and the state hash after it. */
  readonly applied = new Map<number, { term: number; data: Uint8Array; hash: number }>();

  /**
   * Cheap checks, after every single action. `durableLast(id)` is the last index a node persisted:
   * a lone voter commits its own entries before persisting them (as etcd), and they only count as
   * committed once durable (its Ready applies them only after persisting).
   */
  afterAction(nodes: ReadonlyMap<string, RaftNode>, durableLast: (id: string) => number): void {
    for (const [id, n] of nodes) {
      const st = n.basicStatus();
      if (st.role === 'leader') {
        const prev = this.leaders.get(st.term);
        if (prev !== undefined && prev !== id) fail(`election safety: ${prev} and ${id} both lead term ${st.term}`);
        this.leaders.set(st.term, id);
      }
      // Record newly committed indexes; the first node to commit an index is the leader that did.
      const seen = this.commitSeen.get(id) ?? 0;
      const commit = Math.min(st.commit, durableLast(id));
      for (let i = seen + 1; i <= commit; i++) {
        const t = n.termAt(i);
        if (t === undefined) continue;
        const rec = this.committed.get(i);
        if (rec === undefined) this.committed.set(i, { term: t, commitTerm: st.term });
        else if (rec.term !== t) fail(`two entries committed at ${i}: terms ${rec.term} and ${t} (node ${id})`);
      }
      this.commitSeen.set(id, Math.max(seen, commit));
    }
  }

  /** A restarted node's commit index may go back to its persisted one: re-check from there. */
  forget(id: string): void {
    this.commitSeen.delete(id);
  }

  /**
   * Checks a log against every (index, term) seen so far. Only durable logs register entries: a
   * lone voter may elect itself and append without persisting (nobody hears of it), crash, and
   * redo the same term differently; such volatile entries never existed for the cluster.
   */
  checkLog(who: string, firstIndex: number, prevTermOfFirst: number, entries: readonly Entry[], durable: boolean): void {
    let prevTerm = prevTermOfFirst;
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k];
      if (e.index !== firstIndex + k) fail(`${who}: entry ${e.index} out of place (expected ${firstIndex + k})`);
      if (e.term < prevTerm) fail(`${who}: term goes down at ${e.index}`);
      let byTerm = this.registry.get(e.index);
      if (!byTerm) this.registry.set(e.index, (byTerm = new Map()));
      const reg = byTerm.get(e.term);
      if (!reg) {
        if (durable) byTerm.set(e.term, { data: e.data, type: e.type, prevTerm });
      } else if (reg.prevTerm !== prevTerm || reg.type !== e.type || !bytesEqual(reg.data, e.data)) {
        fail(`log matching: ${who} has a different entry (${e.index}, ${e.term}) or predecessor`);
      }
      prevTerm = e.term;
    }
  }

  /** Distinct terms that had a leader. */
  leaderTerms(): number {
    return this.leaders.size;
  }

  /** Every step: log matching on every log, leader completeness on every leader. */
  afterStep(nodes: ReadonlyMap<string, RaftNode>): void {
    for (const [id, n] of nodes) {
      const st = n.basicStatus();
      this.checkLog(`node ${id}`, st.firstIndex, n.termAt(st.snapshotIndex) ?? 0, n.entries(st.firstIndex, st.lastIndex + 1), false);
      if (st.role !== 'leader') continue;
      for (const [i, rec] of this.committed) {
        if (rec.commitTerm > st.term || i <= st.snapshotIndex) continue;
        if (n.termAt(i) !== rec.term) {
          fail(`leader completeness: leader ${id} of term ${st.term} lacks committed (${i}, ${rec.term})`);
        }
      }
    }
  }

  /** State machine safety: no two nodes apply different entries (or reach different states) at an index. */
  onApply(id: string, e: Entry, hash: number): void {
    const prev = this.applied.get(e.index);
    if (!prev) this.applied.set(e.index, { term: e.term, data: e.data, hash });
    else if (prev.term !== e.term || !bytesEqual(prev.data, e.data) || prev.hash !== hash) {
      fail(`state machine safety: ${id} applied a different entry at ${e.index}`);
    }
  }

  onSnapshotState(id: string, index: number, hash: number): void {
    const prev = this.applied.get(index);
    if (prev && prev.hash !== hash) fail(`state machine safety: ${id} snapshot state at ${index} differs`);
  }
}
