// The checkers: pure functions of the history (what clients saw) and of replica state read at the
// end, kept apart from the system under test. Each returns violations; an empty list is a pass.
import { compareRecords, compareTimestamps, formatTimestamp, type StoredRecord, type Timestamp } from '@ringkv/core';
import { describeOp, describeResult, toResult, type History, type Op } from './history.js';

export interface Violation {
  checker: string;
  message: string;
}

/** Error codes a client may see from a coordinator under faults; anything else is a bug. */
const EXPECTED_ERRORS = new Set(['QUORUM_UNAVAILABLE', 'TIMEOUT', 'NOT_READY', 'COORDINATOR_DIED']);

const isWrite = (op: Op) => op.kind !== 'read';
const acked = (op: Op) => isWrite(op) && op.outcome === 'ok' && op.ts !== undefined;

function byKey(ops: readonly Op[]): Map<string, Op[]> {
  const out = new Map<string, Op[]>();
  for (const op of ops) {
    let list = out.get(op.key);
    if (!list) out.set(op.key, (list = []));
    list.push(op);
  }
  return out;
}

function newest(ts: readonly Timestamp[]): Timestamp | undefined {
  let best: Timestamp | undefined;
  for (const t of ts) if (!best || compareTimestamps(t, best) > 0) best = t;
  return best;
}

/** Every operation settled, with an expected outcome. */
export function checkOutcomes(history: History): Violation[] {
  const out: Violation[] = [];
  for (const op of history.ops) {
    if (!op.outcome) out.push({ checker: 'outcomes', message: `never settled: ${describeOp(op)}` });
    else if (op.errorCode === 'HUNG') out.push({ checker: 'outcomes', message: `did not settle within 3 request timeouts at a live coordinator: ${describeOp(op)}` });
    else if (op.outcome !== 'ok' && !EXPECTED_ERRORS.has(op.errorCode ?? '')) out.push({ checker: 'outcomes', message: `unexpected error: ${describeOp(op)}` });
    if (isWrite(op) && op.outcome === 'ok' && !op.ts) out.push({ checker: 'outcomes', message: `acknowledged write without a timestamp: ${describeOp(op)}` });
  }
  return out;
}

/**
 * (a) Read-your-writes: a write acknowledged with W, and a read that started after that
 * acknowledgement and succeeded with R where R+W > N, must return that write or a newer one (HLC
 * order; tombstones count, so a newer delete is a valid answer).
 *
 * Strict writes always qualify: their W acknowledgements come from the preference list, which any R
 * of its replicas overlaps. A sloppy (non-strict) write qualifies only when its coordinator believed
 * no owner down when it started: then it sent to owners only; otherwise hinted stand-ins outside the
 * preference list may make up W, and sloppy quorums trade exactly this guarantee for availability.
 * The read side needs no such condition: reads only ever ask owners. Crashes do not exempt
 * anything: durability is 'sync', so an acknowledged replica write survives a crash.
 */
export function checkReadYourWrites(history: History, replicas: number): Violation[] {
  const out: Violation[] = [];
  for (const ops of byKey(history.ops).values()) {
    const writes = ops.filter((w) => acked(w) && (w.strict || w.ownersDownAtStart.length === 0));
    for (const read of ops) {
      if (read.kind !== 'read' || read.outcome !== 'ok') continue;
      for (const w of writes) {
        if (w.endSeq! >= read.startSeq || read.count + w.count <= replicas) continue;
        const got = read.result;
        if (!got || compareTimestamps(got.ts, w.ts!) < 0) {
          out.push({
            checker: 'read-your-writes',
            message: `read returned ${describeResult(got)}, older than the acknowledged write ${formatTimestamp(w.ts!)}\n  write: ${describeOp(w)}\n  read:  ${describeOp(read)}`,
          });
        }
      }
    }
  }
  return out;
}

/** What the replicas of one key hold at the end of the run. */
export interface KeyState {
  key: string;
  owners: readonly string[];
  records: readonly (StoredRecord | undefined)[];
}

/**
 * (b) Convergence: after the liveness phase every owner of a key holds the identical record
 * (tombstones included), and that record is at least as new as the newest acknowledged write.
 */
export function checkConvergence(history: History, state: readonly KeyState[]): Violation[] {
  const out: Violation[] = [];
  const writes = byKey(history.ops.filter(acked));
  for (const ks of state) {
    const [first, ...rest] = ks.records;
    const same = rest.every((r) => (r === undefined || first === undefined ? r === first : compareRecords(r, first) === 0));
    if (!same) {
      const held = ks.owners.map((o, i) => `${o}=${describeResult(ks.records[i] ? toResult(ks.records[i]!) : null)}`).join(' ');
      out.push({ checker: 'convergence', message: `replicas of ${ks.key} differ after healing: ${held}` });
      continue;
    }
    const need = newest((writes.get(ks.key) ?? []).map((w) => w.ts!));
    if (need && (!first || compareTimestamps(first.ts, need) < 0)) {
      out.push({ checker: 'convergence', message: `replicas of ${ks.key} agree on ${describeResult(first ? toResult(first) : null)}, older than the newest acknowledged write ${formatTimestamp(need)}` });
    }
  }
  return out;
}

/**
 * (c) No acknowledged write lost: the value of each key read at r=all after healing is at least as
 * new as the newest acknowledged write, and as new as anything any read ever returned (a version a
 * read saw was on a replica, and last-write-wins never goes back). It must also be a version some
 * client wrote: same timestamp, same value or tombstone (no phantom or corrupted record).
 */
export function checkFinalReads(history: History, finals: ReadonlyMap<string, StoredRecord | undefined>): Violation[] {
  const out: Violation[] = [];
  const perKey = byKey(history.ops);
  for (const [key, rec] of finals) {
    const ops = perKey.get(key) ?? [];
    const ackedNewest = ops.filter(acked).reduce<Op | undefined>((b, w) => (!b || compareTimestamps(w.ts!, b.ts!) > 0 ? w : b), undefined);
    const got = rec ? toResult(rec) : null;
    if (ackedNewest && (!rec || compareTimestamps(rec.ts, ackedNewest.ts!) < 0)) {
      out.push({ checker: 'no-lost-write', message: `final read of ${key} returned ${describeResult(got)}, older than acknowledged ${describeOp(ackedNewest)}` });
    }
    for (const read of ops) {
      if (read.kind === 'read' && read.outcome === 'ok' && read.result && (!rec || compareTimestamps(rec.ts, read.result.ts) < 0)) {
        out.push({ checker: 'no-lost-write', message: `final read of ${key} returned ${describeResult(got)}, older than what an earlier read saw: ${describeOp(read)}` });
      }
    }
    if (rec) {
      const source = ops.find((w) => isWrite(w) && w.ts && compareTimestamps(w.ts, rec.ts) === 0);
      const matches = source && (source.kind === 'delete' ? rec.tombstone : !rec.tombstone && got!.value === source.value);
      if (!matches) out.push({ checker: 'no-phantom', message: `final record of ${key} ${describeResult(got)} is no write any client issued${source ? ` (same timestamp as ${describeOp(source)})` : ''}` });
    }
  }
  return out;
}

/**
 * (d) A node's hybrid logical clock never goes back: the timestamps of the writes one node
 * coordinates increase in the order it issued them, across restarts too (otherwise a node that
 * restarts with its clock behind orders its new writes before its own older ones).
 */
export function checkCoordinatorTimestamps(history: History): Violation[] {
  const out: Violation[] = [];
  const last = new Map<string, Op>();
  for (const op of [...history.ops].sort((a, b) => a.startSeq - b.startSeq)) {
    if (!isWrite(op) || !op.ts) continue;
    const prev = last.get(op.coordinator);
    if (prev && compareTimestamps(op.ts, prev.ts!) <= 0) {
      out.push({ checker: 'hlc-monotonic', message: `${op.coordinator} issued a timestamp not after its previous one\n  before: ${describeOp(prev)}\n  after:  ${describeOp(op)}` });
    }
    last.set(op.coordinator, op);
  }
  return out;
}

/** A replica write some node acknowledged on the network (seen by the simulated network). */
export interface ReplicaAck {
  /** The node that answered. */
  replier: string;
  /** The owner the write is meant for: the replier, or the down owner a hinted write stands in for. */
  owner: string;
  key: string;
  ts: Timestamp;
}

/**
 * (b') Replica durability: a node that acknowledged a replica write holds it durably (durability
 * 'sync'), and one that acknowledged a hinted write hands it to its owner. So once hints are
 * drained, and before any read-repair sweep, every owner holds each write acknowledged for it, or
 * a newer version. Unlike convergence this holds under crashes too; it sees the replica-level
 * acknowledgements that N=3 replication otherwise masks from the clients.
 */
export function checkReplicaAcks(acks: readonly ReplicaAck[], held: (owner: string, key: string) => StoredRecord | undefined): Violation[] {
  const out: Violation[] = [];
  const worst = new Map<string, ReplicaAck>();
  for (const a of acks) {
    const id = `${a.owner}/${a.key}`;
    const w = worst.get(id);
    if (!w || compareTimestamps(a.ts, w.ts) > 0) worst.set(id, a);
  }
  for (const a of worst.values()) {
    const rec = held(a.owner, a.key);
    if (!rec || compareTimestamps(rec.ts, a.ts) < 0) {
      const via = a.replier === a.owner ? '' : ` (as a hint held by ${a.replier})`;
      out.push({ checker: 'replica-durability', message: `${a.owner} acknowledged ${a.key}@${formatTimestamp(a.ts)}${via} but holds ${describeResult(rec ? toResult(rec) : null)} after hand-off` });
    }
  }
  return out;
}
