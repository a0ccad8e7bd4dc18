// M ringkv nodes (NodeRuntime: the real replication code) in one process, on simulated time, a
// simulated network and MemoryEngines. A crash kills an incarnation on the spot (no graceful stop:
// its timers go silent, its connections reset, its unsynced writes are lost); a restart builds a
// new NodeRuntime on the same engine object, as a new process on the same disk would.
import type { Prng } from './prng.js';
import {
  NodeMetrics, NodeRuntime, buildConfig, createLogger, type AntiEntropyOptions, type Logger, type NodeConfig,
} from '@ringkv/server';
import { MemoryEngine } from '@ringkv/storage';
import { SimClock, type ClockSkew, type Scheduler } from './scheduler.js';
import type { SimNetwork, SimTransport } from './sim-network.js';
import { plant, type Sabotage } from './sabotage.js';

export interface ClusterOptions {
  nodes: number;
  /** A planted bug (checker self-tests only). */
  sabotage?: Sabotage;
  /** Anti-entropy overrides for every node (e.g. manual: the test runs the rounds itself). */
  antiEntropy?: Partial<AntiEntropyOptions>;
  /** Config keys of every node, founders and joiners (e.g. small stream chunks). */
  config?: Readonly<Record<string, unknown>>;
  replicas: number;
  partitions: number;
  requestTimeoutMs: number;
  gossipIntervalMs: number;
  hintWindowMs: number;
}

export const DEFAULT_CLUSTER: Readonly<ClusterOptions> = Object.freeze({
  nodes: 5, replicas: 3, partitions: 64, requestTimeoutMs: 2000, gossipIntervalMs: 1000, hintWindowMs: 24 * 3600_000,
});

export type NodeStatus = 'up' | 'starting' | 'crashed' | 'stopped';

export interface SimNode {
  readonly id: string;
  readonly address: string;
  readonly config: NodeConfig;
  readonly engine: MemoryEngine;
  readonly skew: ClockSkew;
  status: NodeStatus;
  incarnation: number;
  runtime?: NodeRuntime;
  clock?: SimClock;
  transport?: SimTransport;
  /** Settles when the engine has finished crashing (a restart waits for it). */
  crashing?: Promise<void>;
  /** Resolves when the current incarnation dies (a client waiting on it gives up). */
  died: Promise<void>;
  markDied: () => void;
  crashes: number;
}

const silent: Logger = createLogger('silent', {});

export class SimCluster {
  readonly nodes: SimNode[] = [];

  constructor(
    private readonly scheduler: Scheduler,
    private readonly network: SimNetwork,
    private readonly prng: Prng,
    readonly options: ClusterOptions,
  ) {
    const ids = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
    const seeds = ids.map((id) => `${id}:7000`);
    for (const id of ids) {
      const address = `${id}:7000`;
      const config = buildConfig({
        id, peer: address, http: `${id}:8000`, seeds, engine: 'memory', durability: 'sync',
        replicas: options.replicas, partitions: options.partitions, logLevel: 'silent',
        requestTimeoutMs: options.requestTimeoutMs, gossipIntervalMs: options.gossipIntervalMs, hintWindowMs: options.hintWindowMs,
        // Membership does not change in these runs: a slow Raft tick keeps the event count (and CI time) down.
        raftTickMs: 500,
        ...options.config,
      });
      network.addNode(id, address);
      const node: SimNode = {
        id, address, config, engine: new MemoryEngine(), skew: { skewMs: 0 }, status: 'stopped', incarnation: 0,
        died: Promise.resolve(), markDied: () => undefined, crashes: 0,
      };
      this.nodes.push(node);
    }
  }

  /**
   * A node that joins the running cluster: its seeds are the founders, not itself, so it asks to be
   * added and streams what it will own (start it with start(id)).
   */
  addJoiner(id: string): SimNode {
    const address = `${id}:7000`;
    const founders = this.nodes.slice(0, this.options.nodes).map((n) => n.address);
    const config = buildConfig({
      id, peer: address, http: `${id}:8000`, seeds: founders, engine: 'memory', durability: 'sync',
      replicas: this.options.replicas, partitions: this.options.partitions, logLevel: 'silent',
      requestTimeoutMs: this.options.requestTimeoutMs, gossipIntervalMs: this.options.gossipIntervalMs,
      hintWindowMs: this.options.hintWindowMs, raftTickMs: 500, ...this.options.config,
    });
    this.network.addNode(id, address);
    const node: SimNode = {
      id, address, config, engine: new MemoryEngine(), skew: { skewMs: 0 }, status: 'stopped', incarnation: 0,
      died: Promise.resolve(), markDied: () => undefined, crashes: 0,
    };
    this.nodes.push(node);
    return node;
  }

  node(id: string): SimNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** The runtime of a node that is up (throws otherwise: the caller should have checked). */
  runtime(id: string): NodeRuntime {
    const n = this.node(id);
    if (n.status !== 'up' || !n.runtime) throw new Error(`node ${id} is ${n.status}`);
    return n.runtime;
  }

  up(): SimNode[] {
    return this.nodes.filter((n) => n.status === 'up' && n.runtime?.ready);
  }

  /** Starts (or restarts) a node: opens its engine and a new runtime incarnation. */
  async start(id: string): Promise<void> {
    const n = this.node(id);
    if (n.status === 'up' || n.status === 'starting') throw new Error(`node ${id} is already ${n.status}`);
    n.status = 'starting';
    n.incarnation++;
    const inc = n.incarnation;
    await n.crashing;
    await n.engine.open();
    if (n.incarnation !== inc) return; // crashed again while opening
    const label = `${id}#${inc}`;
    n.clock = new SimClock(this.scheduler, n.skew, label);
    n.transport = this.network.transportFor(id, n.address, inc);
    n.runtime = new NodeRuntime(n.config, {
      clock: n.clock, engine: n.engine, transport: n.transport, logger: silent,
      metrics: new NodeMetrics(id, false),
      prng: this.prng.fork(`node ${label}`), nextTurn: this.scheduler.nextTurn,
      // A planted bug must show in the checkers, not be repaired behind their back by anti-entropy.
      antiEntropy: { ...this.options.antiEntropy, ...(this.options.sabotage ? { manual: true } : {}) },
    });
    if (this.options.sabotage) plant(this.options.sabotage, n.runtime);
    n.died = new Promise((resolve) => { n.markDied = resolve; });
    this.scheduler.trace.add(`${this.scheduler.nowMs} start ${label}`);
    await n.runtime.start();
    if (n.incarnation === inc && n.status === 'starting') n.status = 'up';
  }

  /** Kills a node on the spot: no graceful stop, unsynced writes lost, connections reset. */
  crash(id: string): void {
    const n = this.node(id);
    if (n.status === 'crashed' || n.status === 'stopped') return;
    this.scheduler.trace.add(`${this.scheduler.nowMs} crash ${id}#${n.incarnation}`);
    n.status = 'crashed';
    n.crashes++;
    n.clock?.kill();
    n.transport?.kill();
    n.runtime = undefined;
    n.clock = undefined;
    n.transport = undefined;
    n.markDied();
    n.crashing = n.engine.crash();
  }

  /** Stops a node gracefully (drains its applies, closes its engine). */
  async stop(id: string): Promise<void> {
    const n = this.node(id);
    if (n.status !== 'up' && n.status !== 'starting') return;
    this.scheduler.trace.add(`${this.scheduler.nowMs} stop ${id}#${n.incarnation}`);
    const rt = n.runtime;
    n.status = 'stopped';
    await rt?.stop();
    n.clock?.kill();
    n.runtime = undefined;
    n.markDied();
    await n.engine.close();
  }

  /**
   * Starts every node; resolves once all know the seed membership and are ready (they compared
   * their clocks with their peers' in a first gossip exchange). The scheduler must be running.
   */
  async startAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.start(n.id)));
    await Promise.all(this.nodes.map((n) => n.runtime!.whenBootstrapped()));
    for (let waitedMs = 0; !this.nodes.every((n) => n.runtime!.ready); waitedMs += 50) {
      if (waitedMs > 30_000) {
        const why = this.nodes.filter((n) => !n.runtime!.ready).map((n) => `${n.id}: ${n.runtime!.readinessReason()}`);
        throw new Error(`nodes did not form the cluster: ${why.join('; ')}`);
      }
      await this.scheduler.sleep(50, 'waiting for readiness');
    }
  }
}
