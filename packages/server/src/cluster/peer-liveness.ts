// Which peers are up, as this node sees them: a peer is down after a probe or request to it fails
// and up again after one succeeds. Members are probed every interval (jittered). Liveness feeds the
// coordinator's choice of replicas and hinted handoff; it never changes ownership.
import { PeerMessageType } from '../peer/message-types.js';
import type { PeerTransport } from '../peer/transport.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { ClusterState } from './cluster-state.js';

export interface Liveness {
  isUp(id: string): boolean;
  /** Called when a peer goes from down to up. */
  onUp(listener: (id: string) => void): void;
}

export class PeerLiveness implements Liveness {
  private readonly down = new Set<string>();
  private readonly upListeners: ((id: string) => void)[] = [];
  private timer?: TimerHandle;
  private stopped = false;

  constructor(
    private readonly deps: { cluster: ClusterState; transport: PeerTransport; clock: Clock; intervalMs: number; timeoutMs: number; random: () => number },
  ) {}

  isUp(id: string): boolean {
    return id === this.deps.cluster.selfId || !this.down.has(id);
  }

  onUp(listener: (id: string) => void): void {
    this.upListeners.push(listener);
  }

  /** Evidence from any exchange with a peer. */
  report(id: string, ok: boolean): void {
    if (id === this.deps.cluster.selfId) return;
    if (ok) {
      if (this.down.delete(id)) for (const l of this.upListeners) l(id);
    } else {
      this.down.add(id);
    }
  }

  downPeers(): string[] {
    return [...this.down].sort();
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private schedule(): void {
    if (this.stopped) return;
    const jitter = 0.8 + 0.4 * this.deps.random();
    this.timer = this.deps.clock.setTimer(Math.round(this.deps.intervalMs * jitter), () => {
      void this.probeAll().finally(() => this.schedule());
    });
  }

  private async probeAll(): Promise<void> {
    if (!this.deps.cluster.ready) return;
    await Promise.all(this.deps.cluster.others().map(async (m) => {
      try {
        await this.deps.transport.request(m.peer, { type: PeerMessageType.Ping }, this.deps.timeoutMs);
        this.report(m.id, true);
      } catch {
        if (!this.stopped) this.report(m.id, false);
      }
    }));
  }
}
