// Hands hints back to their target replicas once they are reachable: periodically, and at once when
// a peer comes back up. Expired hints are dropped. One pass at a time, bounded in size.
// A node that leaves the cluster hands its hints over before it goes (handOver): a hint whose target
// is down moves to a live member, which keeps it for the target (Cassandra transfers hints at
// decommission for the same reason: they may be the only copy a down replica will ever get).
import type { Clock, TimerHandle } from '../clock.js';
import type { ClusterState } from '../membership/cluster-state.js';
import type { Liveness } from '../liveness/liveness.js';
import type { ReplicaStore } from '../replica/replica-store.js';
import type { Logger } from '../observability/logger.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';
import type { Hint, HintStore } from './hint-store.js';
import { replicaWrite } from '../replica/replica-wire.js';
import type { ReplicationMetrics } from '../observability/replication-metrics.js';
import { UNPACED, type Pace } from '../time/background-pacer.js';

export interface HintedHandoffDeps {
  hints: HintStore;
  store: ReplicaStore;
  cluster: ClusterState;
  liveness: Liveness;
  rpc: PeerRpc;
  clock: Clock;
  log: Logger;
  metrics: ReplicationMetrics;
  windowMs: number;
  intervalMs: number;
  requestTimeoutMs: number;
  /** A pass waits its turn by it before each page of hints (default: never). */
  pace?: Pace;
  /** Hints read per scan step; deliveries in flight are bounded by it too. */
  batch?: number;
}

export interface HandoffPassResult {
  delivered: number;
  expired: number;
  /** Hints still held (their target unreachable, and no live member to take them over). */
  pending: number;
}

export class HintedHandoff {
  private timer?: TimerHandle;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  /** Passes run one after another: the last one queued. */
  private passes: Promise<unknown> = Promise.resolve();
  /** This node is leaving: hints for a target that is down move to a live member (handOver). */
  private handingOver = false;
  /** When the oldest hint still held after the last full pass was made (unix ms; undefined: none held). */
  oldestPendingAtMs: number | undefined;
  /** Hints still held after the last full pass, per target (count, oldest) and per partition (count): the console's. */
  pendingByTarget: ReadonlyMap<string, { count: number; oldestAtMs: number }> = new Map();
  pendingByPartition: ReadonlyMap<number, number> = new Map();
  /** Hints delivered since start, per target (the console's delivery rate); targets are the hints' own. */
  readonly deliveredTo = new Map<string, number>();

  constructor(private readonly deps: HintedHandoffDeps) {
    deps.liveness.onUp(() => this.kick());
  }

  start(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }

  /** Runs a pass soon (a peer came back). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass().then(() => undefined, (err: unknown) => {
      this.deps.log.error({ err }, 'hinted handoff pass failed');
    }).finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
  }

  /**
   * For a node that is leaving: from now on every pass delivers what it can and moves the hints of
   * unreachable targets to a live member. Resolves with the hints still held after one such pass.
   */
  async handOver(): Promise<number> {
    this.handingOver = true;
    const { pending } = await this.pass();
    // A pass cut short by stop() has not seen every hint: never report that as all handed over.
    if (this.stopped) throw new Error('hinted handoff stopped before every hint was handed over');
    return pending;
  }

  /** One pass over every hint, after any pass in progress; resolves when done (tests and shutdown use it). */
  pass(): Promise<HandoffPassResult> {
    const run = () => this.scanAll();
    const p = this.passes.then(run, run);
    this.passes = p.catch(() => undefined);
    return p;
  }

  private async scanAll(): Promise<HandoffPassResult> {
    const { hints, clock } = this.deps;
    const batch = this.deps.batch ?? 256;
    let delivered = 0;
    let expired = 0;
    let pending = 0;
    let oldest: number | undefined;
    const byTarget = new Map<string, { count: number; oldestAtMs: number }>();
    const byPartition = new Map<number, number>();
    let after: Uint8Array | undefined;
    for (;;) {
      if (this.stopped) break;
      await (this.deps.pace ?? UNPACED).admit();
      const page = await hints.scan(batch, after);
      if (page.length === 0) break;
      after = page[page.length - 1].storageKey;
      await Promise.all(page.map(async (hint) => {
        if (hint.createdAtMs + this.deps.windowMs < clock.nowMs()) {
          await hints.remove(hint);
          expired++;
          this.deps.metrics.hintsExpired.inc();
          return;
        }
        if (await this.deliver(hint)) {
          delivered++;
          this.deps.metrics.hintsDelivered.inc();
          if (this.deliveredTo.size >= 4096 && !this.deliveredTo.has(hint.target)) this.deliveredTo.clear();
          this.deliveredTo.set(hint.target, (this.deliveredTo.get(hint.target) ?? 0) + 1);
        } else {
          pending++;
          if (oldest === undefined || hint.createdAtMs < oldest) oldest = hint.createdAtMs;
          const t = byTarget.get(hint.target);
          if (t) {
            t.count++;
            if (hint.createdAtMs < t.oldestAtMs) t.oldestAtMs = hint.createdAtMs;
          } else byTarget.set(hint.target, { count: 1, oldestAtMs: hint.createdAtMs });
          byPartition.set(hint.partition, (byPartition.get(hint.partition) ?? 0) + 1);
        }
      }));
    }
    this.deps.metrics.hintsPending.set(pending);
    // A pass cut short by stop() saw only some hints: keep what the last full pass found.
    if (!this.stopped) {
      this.oldestPendingAtMs = oldest;
      this.pendingByTarget = byTarget;
      this.pendingByPartition = byPartition;
    }
    if (delivered || expired) this.deps.log.info({ delivered, expired, pending }, 'hinted handoff pass');
    return { delivered, expired, pending };
  }

  private async deliver(hint: Hint): Promise<boolean> {
    const { cluster, liveness } = this.deps;
    try {
      let targets: readonly string[];
      if (hint.target === cluster.selfId || cluster.member(hint.target)) {
        targets = [hint.target];
      } else {
        // The target was removed from the cluster: its replica now lives on the partition's current
        // owners, so the write goes to every one of them (all must take it before the hint goes).
        if (!cluster.ready) return false;
        targets = cluster.ring.preferenceList(hint.partition);
      }
      const down = targets.filter((t) => t !== cluster.selfId && !liveness.isUp(t));
      const standIns = new Map<string, string>();
      for (const t of down) {
        const standIn = this.handingOver ? this.standInFor(hint.partition, t) : undefined;
        if (standIn === undefined) return false;
        standIns.set(t, standIn);
      }
      await Promise.all(targets.map((t) => {
        const standIn = standIns.get(t);
        return standIn === undefined ? this.send(t, hint) : this.sendHint(standIn, t, hint);
      }));
      await this.deps.hints.remove(hint);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * A live member to keep a hint for a target that is down, while this node leaves: the stand-in a
   * coordinator would pick for it (the next live node on the ring), else a live owner of the
   * partition, else any live member.
   */
  private standInFor(partition: number, target: string): string | undefined {
    const { cluster, liveness } = this.deps;
    if (!cluster.ready) return undefined;
    const usable = (id: string) => id !== cluster.selfId && id !== target && cluster.member(id) !== undefined && liveness.isUp(id);
    const ring = cluster.ring;
    const standIn = ring.fallbackTargets(partition, usable).find((t) => t.forNode === target)?.node;
    const candidates = [...(standIn ? [standIn] : []), ...ring.preferenceList(partition), ...cluster.membership.members.map((m) => m.id)];
    return candidates.find(usable);
  }

  /** Gives a hint for `target` to `standIn`, which keeps it as its own hint for that target. */
  private async sendHint(standIn: string, target: string, hint: Hint): Promise<void> {
    const { cluster, rpc } = this.deps;
    await rpc.request(cluster.peerOf(standIn), replicaWrite(hint.partition, hint.key, hint.record, target), this.deps.requestTimeoutMs);
  }

  private async send(node: string, hint: Hint): Promise<void> {
    const { cluster, rpc, store } = this.deps;
    if (node === cluster.selfId) {
      await store.apply(hint.partition, hint.key, hint.record);
      return;
    }
    await rpc.request(cluster.peerOf(node), replicaWrite(hint.partition, hint.key, hint.record), this.deps.requestTimeoutMs);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimer(this.deps.intervalMs, () => {
      this.kick();
      this.schedule();
    });
  }
}
