// Helpers to drive one RaftNode by hand: build it on a given log, step messages, read its output.
import { RaftNode } from '../../src/raft/raft-node.js';
import type { RaftMessage } from '../../src/raft/messages.js';
import type { RaftOptions } from '../../src/raft/raft-config.js';
import type { Ready } from '../../src/raft/ready.js';
import { MemoryRaftStorage } from '../../src/raft/storage.js';
import type { Entry } from '../../src/raft/types.js';
import { emptySnapshot } from '../../src/raft/types.js';
import { seededRng } from './prng.js';

export function entries(terms: number[], from = 1): Entry[] {
  return terms.map((term, i) => ({ term, index: from + i, type: 'normal' as const, data: new Uint8Array([i]) }));
}

/** A storage whose log holds one entry per element of `terms`, starting at index 1. */
export function storageWith(
  voters: string[],
  terms: number[],
  hs: { term?: number; vote?: string | null; commit?: number } = {},
  learners: string[] = [],
): MemoryRaftStorage {
  return new MemoryRaftStorage({
    snapshot: emptySnapshot({ voters, learners }),
    entries: entries(terms),
    hardState: { term: hs.term ?? Math.max(0, ...terms), vote: hs.vote ?? null, commit: hs.commit ?? 0 },
  });
}

export function newNode(id: string, storage: MemoryRaftStorage, extra: Partial<RaftOptions> = {}): RaftNode {
  return new RaftNode({ id, rng: seededRng(7), storage, ...extra });
}

/** Handles the node's Ready (persisting into `storage` if given) and returns what it held. */
export function drain(node: RaftNode, storage?: MemoryRaftStorage): Ready {
  const all: Ready = { entries: [], committedEntries: [], messages: [] };
  while (node.hasReady()) {
    const rd = node.ready();
    storage?.saveReady(rd);
    all.entries.push(...rd.entries);
    all.committedEntries.push(...rd.committedEntries);
    all.messages.push(...rd.messages);
    if (rd.hardState) all.hardState = rd.hardState;
    if (rd.softState) all.softState = rd.softState;
    if (rd.snapshot) all.snapshot = rd.snapshot;
    node.advance();
  }
  return all;
}

export function msgs(node: RaftNode): RaftMessage[] {
  return drain(node).messages;
}

/** Ticks until the node leaves the follower role (bounded). */
export function tickUntilCampaign(node: RaftNode): void {
  for (let i = 0; i < 100 && node.status().role === 'follower'; i++) node.tick();
}
