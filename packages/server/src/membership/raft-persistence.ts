// Raft's durable state in the engine: the hard state and the snapshot under raftstate, the log
// entries under raftlog by index. Every Ready is written as one synced batch, before its messages
// are sent (the Raft contract): a crash loses nothing a peer was told.
import { Packr } from 'msgpackr';
import type { RaftEntry, RaftHardState, RaftReady, RaftSnapshot, RaftStorageView } from '@ringkv/core';
import { keyspaceRange, namedKey, raftLogKey, type BatchOp, type Engine } from '@ringkv/storage';

const HARD_KEY = namedKey('raftstate', 'hard');
const SNAPSHOT_KEY = namedKey('raftstate', 'snapshot');
const packr = new Packr({ useRecords: false });

export interface PersistedRaft extends RaftStorageView {
  lastIndex(): number;
}

export async function loadRaftState(engine: Engine): Promise<PersistedRaft | undefined> {
  const [hardBytes, snapBytes] = await engine.getMany([HARD_KEY, SNAPSHOT_KEY]);
  if (!hardBytes || !snapBytes) return undefined;
  const hard = packr.unpack(hardBytes) as RaftHardState;
  const snapshot = fixSnapshot(packr.unpack(snapBytes) as RaftSnapshot);
  const entries: RaftEntry[] = [];
  for await (const [, value] of engine.iterate({ gte: raftLogKey(snapshot.metadata.index + 1), lt: keyspaceRange('raftlog').lt })) {
    entries.push(fixEntry(packr.unpack(value) as RaftEntry));
  }
  return {
    hardState: () => ({ ...hard }),
    snapshot: () => snapshot,
    entries: () => entries,
    lastIndex: () => snapshot.metadata.index + entries.length,
  };
}

/** The state of a founding member: its bootstrap snapshot and hard state, written at once. */
export async function saveBootstrap(engine: Engine, snapshot: RaftSnapshot, hard: RaftHardState): Promise<void> {
  await engine.batch([
    { type: 'put', key: SNAPSHOT_KEY, value: packr.pack(snapshot) },
    { type: 'put', key: HARD_KEY, value: packr.pack(hard) },
  ], { sync: true });
}

/** Persists what a Ready asks for, atomically and synced. */
export async function persistReady(engine: Engine, rd: RaftReady, lastPersistedIndex: number): Promise<number> {
  const ops: BatchOp[] = [];
  let last = lastPersistedIndex;
  if (rd.snapshot) {
    // A snapshot from the leader replaces the whole log.
    for (let i = 1; i <= last; i++) ops.push({ type: 'del', key: raftLogKey(i) });
    ops.push({ type: 'put', key: SNAPSHOT_KEY, value: packr.pack(rd.snapshot) });
    last = rd.snapshot.metadata.index;
  }
  if (rd.entries.length > 0) {
    const first = rd.entries[0].index;
    // Entries at and after `first` conflict with the new ones: drop them in the same batch.
    for (let i = first; i <= last; i++) ops.push({ type: 'del', key: raftLogKey(i) });
    for (const e of rd.entries) ops.push({ type: 'put', key: raftLogKey(e.index), value: packr.pack(e) });
    last = rd.entries[rd.entries.length - 1].index;
  }
  if (rd.hardState) ops.push({ type: 'put', key: HARD_KEY, value: packr.pack(rd.hardState) });
  if (ops.length > 0) await engine.batch(ops, { sync: true });
  return last;
}

/** After compaction: the new snapshot, and the entries it covers removed. */
export async function persistCompaction(engine: Engine, snapshot: RaftSnapshot, previousSnapshotIndex: number): Promise<void> {
  const ops: BatchOp[] = [{ type: 'put', key: SNAPSHOT_KEY, value: packr.pack(snapshot) }];
  for (let i = previousSnapshotIndex + 1; i <= snapshot.metadata.index; i++) ops.push({ type: 'del', key: raftLogKey(i) });
  await engine.batch(ops, { sync: true });
}

/** msgpackr returns Buffers; Raft compares and re-encodes data as plain bytes either way. */
function fixEntry(e: RaftEntry): RaftEntry {
  return { ...e, data: new Uint8Array(e.data) };
}

function fixSnapshot(s: RaftSnapshot): RaftSnapshot {
  return { metadata: s.metadata, data: new Uint8Array(s.data) };
}

export function packRaft(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function unpackRaft<T>(bytes: Uint8Array): T {
  return packr.unpack(bytes) as T;
}
