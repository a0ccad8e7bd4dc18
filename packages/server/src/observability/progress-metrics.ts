// How far behind the background work is, read when scraped: the hint backlog (bytes, age of the
// oldest), the age of the oldest anti-entropy round among the partitions this node holds, and
// partition streaming (bytes moved, partitions still to receive or send, the phase). Labels are
// fixed small sets (direction, phase).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AntiEntropyStatus } from '../anti-entropy/ae-status.js';
import type { TopologyPhase } from '../handoff/topology-manager.js';

const PHASES: readonly TopologyPhase[] = Object.freeze(['idle', 'receiving', 'sending', 'catching-up', 'handing-over-hints', 'left']);

export interface ProgressMetricsSource {
  /** Wall clock, unix ms (the hint and round times are wall times). */
  nowMs(): number;
  hints: { totalBytes(): number; oldestPendingAtMs: number | undefined };
  /** The background pacer (time/background-pacer.ts). */
  pace: { readonly fraction: number; readonly waitedMs: number };
  antiEntropy: {
    status(): AntiEntropyStatus;
    /** No rounds start by themselves (antiEntropy: passive): the round age is not exported. */
    manual: boolean;
    intervalMs: number;
  };
  /** Replicas in a partition's preference list (a partition alone on its node has nothing to compare). */
  replicasOf(partition: number): number;
  /** When this node started (unix ms): a partition never compared counts from then. */
  startedAtMs: number;
  topology: {
    streamed: { received: number; sent: number };
    progress: { phase: TopologyPhase; partitionsTotal: number; partitionsDone: number };
    status(): { pendingPartitions: number };
  };
}

/**
 * Seconds since the least recently compared partition this node holds was last compared with a
 * peer in a successful round (in sync or exchanged); undefined when no held partition has a peer.
 */
export function oldestRoundAgeSeconds(status: AntiEntropyStatus, replicasOf: (p: number) => number, nowMs: number, sinceMs: number): number | undefined {
  let oldest: number | undefined;
  for (const p of status.partitions) {
    if (replicasOf(p.partition) < 2) continue;
    let last = sinceMs;
    for (const peer of p.peers) if (peer.lastSuccessAtMs !== null && peer.lastSuccessAtMs > last) last = peer.lastSuccessAtMs;
    if (oldest === undefined || last < oldest) oldest = last;
  }
  return oldest === undefined ? undefined : Math.max(0, nowMs - oldest) / 1000;
}

export function registerProgressMetrics(registry: Registry, source: ProgressMetricsSource): void {
  const registers = [registry];
  new Gauge({ name: 'ringkv_hints_backlog_bytes', help: 'Bytes of hints this node holds for other replicas (all targets)', registers,
    collect() { this.set(source.hints.totalBytes()); } });
  new Gauge({ name: 'ringkv_hints_oldest_pending_age_seconds', help: 'Age of the oldest hint still held after the last handoff pass (0 when none is held)', registers,
    collect() {
      const at = source.hints.oldestPendingAtMs;
      this.set(at === undefined ? 0 : Math.max(0, source.nowMs() - at) / 1000);
    } });
  new Gauge({ name: 'ringkv_background_pace_ratio', help: 'Share of its budget background work (streams, anti-entropy, hint hand-off) may use now, from the event loop\'s lag (1: full budget)', registers,
    collect() { this.set(source.pace.fraction); } });
  let paceWaitReportedMs = 0;
  new Counter({ name: 'ringkv_background_pace_wait_seconds_total', help: 'Seconds background work has waited for its turn because the event loop lagged', registers,
    collect() {
      this.inc((source.pace.waitedMs - paceWaitReportedMs) / 1000);
      paceWaitReportedMs = source.pace.waitedMs;
    } });
  new Gauge({ name: 'ringkv_anti_entropy_interval_seconds', help: 'Configured interval between anti-entropy rounds of a partition (the overdue alert compares the round age with it)', registers,
    collect() { this.set(source.antiEntropy.intervalMs / 1000); } });
  new Gauge({
    name: 'ringkv_anti_entropy_oldest_round_age_seconds',
    help: 'Seconds since the least recently compared partition this node holds had a successful round with a peer (never: since the node started); 0 on a passive node or with no partition another replica shares',
    registers,
    collect() {
      const age = source.antiEntropy.manual ? undefined : oldestRoundAgeSeconds(source.antiEntropy.status(), source.replicasOf, source.nowMs(), source.startedAtMs);
      this.set(age ?? 0);
    },
  });
  new Counter({
    name: 'ringkv_stream_bytes_total', help: 'Partition streaming payload bytes (joins, decommissions, catch-up), by direction: received or sent', labelNames: ['direction'], registers,
    collect() {
      this.reset();
      this.inc({ direction: 'received' }, source.topology.streamed.received);
      this.inc({ direction: 'sent' }, source.topology.streamed.sent);
    },
  });
  new Gauge({ name: 'ringkv_stream_partitions_pending', help: 'Partitions this node still has to receive or send in its current move, or to catch up on', registers,
    collect() {
      const { progress } = source.topology;
      const moving = progress.phase === 'sending' ? Math.max(0, progress.partitionsTotal - progress.partitionsDone) : 0;
      this.set(source.topology.status().pendingPartitions + moving);
    } });
  new Gauge({
    name: 'ringkv_stream_phase', help: 'This node\'s topology phase: 1 for the phase it is in (idle, receiving, sending, catching-up, handing-over-hints, left)', labelNames: ['phase'], registers,
    collect() {
      const now = source.topology.progress.phase;
      for (const phase of PHASES) this.set({ phase }, phase === now ? 1 : 0);
    },
  });
}
