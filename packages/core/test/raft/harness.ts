// A tiny fault-free cluster for unit tests: nodes on MemoryRaftStorage, a message queue, link
// cuts, and stabilize() which handles every Ready and delivers every message until quiet.
import { RaftNode } from '../../src/raft/raft-node.js';
import type { RaftMessage } from '../../src/raft/messages.js';
import type { RaftOptions } from '../../src/raft/raft-config.js';
import { MemoryRaftStorage } from '../../src/raft/storage.js';
import type { Entry } from '../../src/raft/types.js';
import { seededRng } from './prng.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export class TestCluster {
  nodes = new Map<string, RaftNode>();
  storages = new Map<string, MemoryRaftStorage>();
  applied = new Map<string, Entry[]>();
  queue: RaftMessage[] = [];
  /** Every message ever delivered, for assertions on traffic. */
  delivered: RaftMessage[] = [];
  private cut = new Set<string>();

  constructor(voters: string[], private readonly extra: Partial<RaftOptions> = {}, seed = 1) {
    let s = seed;
    for (const id of voters) this.add(id, MemoryRaftStorage.bootstrap(voters), s++);
  }

  add(id: string, storage: MemoryRaftStorage = new MemoryRaftStorage(), seed = 99): RaftNode {
    const node = new RaftNode({ id, rng: seededRng(seed), storage, ...this.extra });
    this.nodes.set(id, node);
    this.storages.set(id, storage);
    if (!this.applied.has(id)) this.applied.set(id, []);
    return node;
  }

  /** Rebuilds `id` from what it persisted (anything unpersisted is lost). */
  restart(id: string, seed = 77): RaftNode {
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
    this.applied.set(id, []);
    return this.add(id, this.storages.get(id), seed);
  }

  node(id: string): RaftNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  isolate(id: string): void {
    this.cut.add(id);
  }

  heal(): void {
    this.cut.clear();
  }

  private linkUp(m: RaftMessage): boolean {
    return !this.cut.has(m.from) && !this.cut.has(m.to) && this.nodes.has(m.to);
  }

  /** Persists, sends and applies one node's Ready. */
  handleReady(id: string): void {
    const node = this.node(id);
    while (node.hasReady()) {
      const rd = node.ready();
      this.storages.get(id)?.saveReady(rd);
      this.queue.push(...rd.messages);
      this.applied.get(id)?.push(...rd.committedEntries);
      node.advance();
    }
  }

  /** Until no Ready and no message is left (bounded). */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      for (const id of this.nodes.keys()) this.handleReady(id);
      if (this.queue.length === 0) return;
      const q = this.queue;
      this.queue = [];
      for (const m of q) {
        if (!this.linkUp(m)) continue;
        this.delivered.push(m);
        this.node(m.to).step(m);
      }
    }
    throw new Error('cluster did not stabilize');
  }

  tick(id: string, n = 1): void {
    for (let i = 0; i < n; i++) this.node(id).tick();
  }

  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const node of this.nodes.values()) node.tick();
      this.stabilize();
    }
  }

  /** Ticks `id` until it campaigns and lets the election play out. */
  elect(id: string): void {
    const node = this.node(id);
    for (let i = 0; i < 100 && node.status().role === 'follower'; i++) node.tick();
    this.stabilize();
  }

  leader(): string | null {
    for (const [id, n] of this.nodes) if (n.status().role === 'leader' && !this.cut.has(id)) return id;
    return null;
  }

  appliedData(id: string): string[] {
    return (this.applied.get(id) ?? []).filter((e) => e.type === 'normal' && e.data.length > 0).map((e) => dec(e.data));
  }
}
