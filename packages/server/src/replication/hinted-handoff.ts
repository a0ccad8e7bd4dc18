// Hands hints back to their target replicas once they are reachable: periodically, and at once when
// a peer comes back up. Expired hints are dropped. One pass at a time, bounded in size.
import type { Clock, TimerHandle } from '../clock.js';
import type { ClusterState } from '../cluster/cluster-state.js';
import type { Liveness } from '../cluster/liveness.js';
import type { ReplicaStore } from '../kv/replica-store.js';
import type { Logger } from '../observability/logger.js';
import type { PeerTransport } from '../peer/transport.js';
import type { Hint, HintStore } from './hint-store.js';
import { replicaWrite } from './wire.js';
import type { ReplicationMetrics } from './replication-metrics.js';

export interface HintedHandoffDeps {
  hints: HintStore;
  store: ReplicaStore;
  cluster: ClusterState;
  liveness: Liveness;
  transport: PeerTransport;
  clock: Clock;
  log: Logger;
  metrics: ReplicationMetrics;
  windowMs: number;
  intervalMs: number;
  requestTimeoutMs: number;
  /** Hints read per scan step; deliveries in flight are bounded by it too. */
  batch?: number;
}

export class HintedHandoff {
  private timer?: TimerHandle;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

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

  /** One pass over every hint; resolves when done (tests and shutdown use it). */
  async pass(): Promise<{ delivered: number; expired: number; pending: number }> {
    const { hints, clock } = this.deps;
    const batch = this.deps.batch ?? 256;
    let delivered = 0;
    let expired = 0;
    let pending = 0;
    let after: Uint8Array | undefined;
    for (;;) {
      if (this.stopped) break;
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
        } else {
          pending++;
        }
      }));
    }
    this.deps.metrics.hintsPending.set(pending);
    if (delivered || expired) this.deps.log.info({ delivered, expired, pending }, 'hinted handoff pass');
    return { delivered, expired, pending };
  }

  private async deliver(hint: Hint): Promise<boolean> {
    const { cluster, liveness } = this.deps;
    try {
      if (hint.target === cluster.selfId || cluster.member(hint.target)) {
        if (!liveness.isUp(hint.target)) return false;
        await this.send(hint.target, hint);
      } else {
        // The target was removed from the cluster: its replica now lives on the partition's current
        // owners, so the write goes to every one of them (all must take it before the hint goes).
        if (!cluster.ready) return false;
        const owners = cluster.ring.preferenceList(hint.partition);
        if (owners.some((o) => !liveness.isUp(o))) return false;
        await Promise.all(owners.map((o) => this.send(o, hint)));
      }
      await this.deps.hints.remove(hint);
      return true;
    } catch {
      return false;
    }
  }

  private async send(node: string, hint: Hint): Promise<void> {
    const { cluster, transport, store } = this.deps;
    if (node === cluster.selfId) {
      await store.apply(hint.partition, hint.key, hint.record);
      return;
    }
    await transport.request(cluster.peerOf(node), replicaWrite(hint.partition, hint.key, hint.record), this.deps.requestTimeoutMs);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimer(this.deps.intervalMs, () => {
      this.kick();
      this.schedule();
    });
  }
}
