// In-process replicas for the anti-entropy tests: each node is a MemoryEngine, a ReplicaStore, a
// cluster view, a MemoryTransport on one MemoryNetwork and its AntiEntropy, on one manual clock.
// Liveness is a switch the test flips. No NodeRuntime: these tests pin anti-entropy alone.
import { immediateTurn } from '../../src/clock.js';
import { HybridLogicalClock, Prng, nodeTag, type StoredRecord, type Timestamp } from '@ringkv/core';
import { MemoryEngine, keyspaceRange, parseDataKey } from '@ringkv/storage';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { AntiEntropy } from '../../src/anti-entropy/anti-entropy.js';
import { ANTI_ENTROPY_DEFAULTS, type AntiEntropyOptions } from '../../src/anti-entropy/anti-entropy-options.js';
import { ClusterState } from '../../src/membership/cluster-state.js';
import type { Liveness } from '../../src/liveness/liveness.js';
import type { Membership } from '../../src/membership/member.js';
import { ReplicaStore } from '../../src/replica/replica-store.js';
import { PartitionReader } from '../../src/replica/partition-reader.js';
import { MemoryNetwork, type MemoryTransport } from '../../src/peer/memory-transport.js';
import { RecordAdmission } from '../../src/replica/record-admission.js';
import { Counter } from 'prom-client';
import { ManualClock } from '../../../../test/support/manual-clock.js';
import { peerStack } from '../support/peer-stack.js';

export const T0 = 1_700_000_000_000;
const silent = pino({ level: 'silent' });

export class SwitchLiveness implements Liveness {
  readonly down = new Set<string>();
  private readonly listeners: ((id: string) => void)[] = [];
  isUp(id: string): boolean {
    return !this.down.has(id);
  }
  onUp(listener: (id: string) => void): void {
    this.listeners.push(listener);
  }
  setUp(id: string, up: boolean): void {
    if (up && this.down.delete(id)) for (const l of this.listeners) l(id);
    if (!up) this.down.add(id);
  }
  /** The test decides liveness; request outcomes are ignored. */
  report(): void {}
}

export interface TestNode {
  id: string;
  address: string;
  engine: MemoryEngine;
  store: ReplicaStore;
  cluster: ClusterState;
  liveness: SwitchLiveness;
  transport: MemoryTransport;
  registry: Registry;
  ae: AntiEntropy;
}

export interface KitOptions {
  nodes: number;
  replicas?: number;
  partitions?: number;
  ae?: Partial<AntiEntropyOptions>;
  /**
   * The clock bound of record admission. These tests stamp writes ahead of the manual clock
   * (ts(1000) is T0 + 1 s): by default the bound is a day, so only tests of the clock rule meet it.
   */
  maxSkewMs?: number;
}

export class AeKit {
  readonly clock = new ManualClock(T0);
  readonly network = new MemoryNetwork({ clock: this.clock });
  readonly nodes: TestNode[] = [];
  readonly membership: Membership;
  private readonly transportById = new Map<string, MemoryTransport>();

  constructor(readonly opts: KitOptions) {
    const ids = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
    this.membership = {
      epoch: 1, partitions: opts.partitions ?? 8, replicas: opts.replicas ?? opts.nodes,
      members: ids.map((id) => ({ id, peer: `${id}:7000`, http: `${id}:8000`, status: 'normal' as const })),
    };
    for (const id of ids) this.nodes.push(this.makeNode(id, new MemoryEngine()));
  }

  options(): AntiEntropyOptions {
    return {
      // Rounds run when a test says so; the scheduler's own tests set an interval.
      intervalMs: 7 * 86_400_000, tombstoneGraceMs: 3_600_000, requestTimeoutMs: 2000, ...ANTI_ENTROPY_DEFAULTS,
      bytesPerSecond: Infinity, scanEntriesPerSecond: Infinity, ...this.opts.ae,
    };
  }

  /** A node over `engine` (a restart reuses the engine of the node it replaces). */
  makeNode(id: string, engine: MemoryEngine, over: Partial<AntiEntropyOptions> = {}): TestNode {
    const address = `${id}:7000`;
    // MemoryNetwork holds one transport per address: a restarted node takes over its transport.
    let transport = this.transportById.get(id);
    if (!transport) this.transportById.set(id, (transport = this.network.transport(id, address)));
    const store = new ReplicaStore(engine, { sync: false });
    const cluster = new ClusterState(id);
    const liveness = new SwitchLiveness();
    const registry = new Registry();
    const stack = peerStack(transport, { partitions: this.membership.partitions });
    const admission = new RecordAdmission({
      clock: this.clock, maxSkewMs: this.opts.maxSkewMs ?? 86_400_000, log: silent, refused: new Counter({ name: 'refused', help: 'refused', labelNames: ['path'], registers: [registry] }),
    });
    const ae = new AntiEntropy({
      selfId: id, reader: new PartitionReader(engine), nextTurn: immediateTurn, prng: new Prng(`ae:${id}`), store, cluster, liveness, rpc: stack.rpc, router: stack.router, admission,
      clock: this.clock, hlc: new HybridLogicalClock({ node: nodeTag(id), maxDriftMs: this.opts.maxSkewMs ?? 86_400_000 }), log: silent, registry,
    }, { ...this.options(), ...over });
    return { id, address, engine, store, cluster, liveness, transport, registry, ae };
  }

  async start(): Promise<void> {
    for (const n of this.nodes) await this.startNode(n);
  }

  async startNode(n: TestNode): Promise<void> {
    await n.engine.open();
    await n.transport.start();
    await n.cluster.apply(this.membership);
    n.ae.start();
    await n.ae.whenRebuilt();
  }

  node(id: string): TestNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Replaces a node by a new incarnation on the same engine (the trees are rebuilt from it). */
  async restart(id: string, over: Partial<AntiEntropyOptions> = {}): Promise<TestNode> {
    const i = this.nodes.findIndex((x) => x.id === id);
    const old = this.nodes[i];
    old.ae.stop();
    await old.store.drain();
    const fresh = this.makeNode(id, old.engine, over);
    this.nodes[i] = fresh;
    await fresh.cluster.apply(this.membership);
    fresh.ae.start();
    return fresh;
  }

  partitionOf(key: string): number {
    return this.nodes[0].cluster.ring.partitionOf(Buffer.from(key));
  }

  /** Stores a record directly in one node's replica (a write only it saw). */
  async put(n: TestNode, key: string, value: string, ts: Timestamp): Promise<void> {
    await n.store.apply(this.partitionOf(key), Buffer.from(key), { ts, tombstone: false, expiresAtMs: 0, value: Buffer.from(value) });
  }

  /**
   * While `down` is unreachable and every node sees it down, `writer` alone takes k0..k{count-1}
   * (values v0.., timestamps ts(0)..); then `down` is back, and `writer` sees it come up.
   */
  async writeWhileDown(writer: TestNode, down: string, count: number): Promise<void> {
    const address = this.node(down).address;
    for (const n of this.nodes) n.liveness.setUp(down, false);
    this.network.setDown(address, true);
    for (let i = 0; i < count; i++) await this.put(writer, `k${i}`, `v${i}`, ts(i));
    this.network.setDown(address, false);
    writer.liveness.setUp(down, true);
  }

  async del(n: TestNode, key: string, ts: Timestamp): Promise<void> {
    await n.store.apply(this.partitionOf(key), Buffer.from(key), { ts, tombstone: true, expiresAtMs: 0, value: new Uint8Array(0) });
  }

  async read(n: TestNode, key: string): Promise<StoredRecord | undefined> {
    return n.store.read(this.partitionOf(key), Buffer.from(key));
  }

  /** The value of a key on one replica as text; '(deleted)' for a tombstone, undefined if absent. */
  async text(n: TestNode, key: string): Promise<string | undefined> {
    const r = await this.read(n, key);
    return r === undefined ? undefined : r.tombstone ? '(deleted)' : Buffer.from(r.value).toString();
  }

  /** One round of every partition of every node with every other replica, in turn. */
  async syncAll(): Promise<number> {
    let exchanged = 0;
    for (const n of this.nodes) {
      for (const p of n.ae.trees.partitions()) {
        for (const r of await n.ae.syncPartition(p)) if (r.outcome === 'exchanged') exchanged++;
      }
    }
    return exchanged;
  }

  async stopAll(): Promise<void> {
    for (const n of this.nodes) {
      n.ae.stop();
      await n.ae.idle();
      await n.store.drain();
    }
  }
}

export function ts(wallMs: number, node = 1, logical = 0): Timestamp {
  return { wallMs: T0 + wallMs, logical, node };
}

/** Every data entry of an engine as "partition/key=record-hex" lines, in key order. */
/** Lets n turns of the event loop pass (what timers' callbacks and replies need to run). */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

export async function dump(engine: MemoryEngine): Promise<string[]> {
  const out: string[] = [];
  for await (const [k, v] of engine.iterate(keyspaceRange('data'))) {
    const { partition, userKey } = parseDataKey(k);
    out.push(`${partition}/${Buffer.from(userKey).toString()}=${Buffer.from(v).toString('hex')}`);
  }
  return out;
}

/** Bytes of a counter in a registry (sum over its label values). */
export async function counter(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((s, v) => s + v.value, 0);
}
