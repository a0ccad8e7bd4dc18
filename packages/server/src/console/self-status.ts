// This node's own part of the console's views (docs/console.md), the reply to a SelfStatus peer
// request: its liveness view of the members (phi, last heard, clock offset), its bytes on disk,
// the hints it holds per target and per partition, the streams it runs, anti-entropy per
// partition it holds, its p99 of get and put, the operations it coordinated per partition, and,
// when asked, its traffic history. Everything is read from what the node keeps anyway; nothing
// here scans the data.
import { antiEntropyOverdue } from '@ringkv/core';
import type { Clock } from '../clock.js';
import type { AntiEntropyStatus } from '../anti-entropy/ae-status.js';
import type { ActiveStream } from '../handoff/topology-manager.js';
import type { ClusterState } from '../membership/cluster-state.js';
import { MEMBERS_MAX, type SelfStatus } from '../protocol/peer-messages.js';
import { TRAFFIC_WIRE_SAMPLES_MAX } from '../protocol/self-status-schema.js';
import type { TrafficSampler } from './traffic-sampler.js';

/** A stream with no chunk for this long is stalled (a move retries a failed source within seconds). */
export const STREAM_STALLED_MS = 30_000;

export interface SelfStatusDeps {
  selfId: string;
  clock: Clock;
  cluster: ClusterState;
  liveness: { members(): readonly { id: string; alive: boolean; phi: number | null; heartbeatAgeMs: number | null }[] };
  clockOffsets: { offsetOf(id: string): { offsetMs: number } | undefined };
  hints: { heldBytes(target: string): number };
  handoff: { pendingByTarget: ReadonlyMap<string, { count: number; oldestAtMs: number }>; pendingByPartition: ReadonlyMap<number, number> };
  /** Hints dropped since start, per target (quota or corrupt). */
  hintsDropped: () => ReadonlyMap<string, number>;
  topology: { activeStreams(): ActiveStream[] };
  antiEntropy: { status(): AntiEntropyStatus };
  /** Whether this node starts anti-entropy rounds (passive and manual ones never are overdue). */
  antiEntropyActive: boolean;
  antiEntropyIntervalMs: number;
  /** When this node started (rounds count from then). */
  startedAtMs: number;
  sampler: TrafficSampler;
}

const clampInt = (n: number) => Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.round(n)));
const real = (n: number) => (Number.isFinite(n) ? Math.max(0, Math.min(1e15, n)) : 1e15);

export function selfStatus(deps: SelfStatusDeps, withTraffic: boolean): SelfStatus {
  const { clock, cluster, selfId } = deps;
  const now = clock.nowMs();
  const members = cluster.ready ? cluster.membership.members : [];
  const liveness = deps.liveness.members().slice(0, MEMBERS_MAX).map((m) => ({
    id: m.id, alive: m.alive, phi: m.phi === null ? null : real(m.phi),
    heartbeatAgeMs: m.heartbeatAgeMs === null ? null : clampInt(m.heartbeatAgeMs),
    clockOffsetMs: m.id === selfId ? 0 : deps.clockOffsets.offsetOf(m.id)?.offsetMs ?? null,
  }));
  const dropped = deps.hintsDropped();
  const targets = new Set([...deps.handoff.pendingByTarget.keys(), ...dropped.keys(), ...members.map((m) => m.id)]);
  const hints: SelfStatus['hints'] = [];
  for (const target of [...targets].sort()) {
    const pending = deps.handoff.pendingByTarget.get(target);
    const row = {
      target, count: pending?.count ?? 0, bytes: deps.hints.heldBytes(target),
      oldestAgeMs: pending ? clampInt(now - pending.oldestAtMs) : null,
      deliveredPerSecond: real(deps.sampler.deliveredPerSecond.get(target) ?? 0), dropped: dropped.get(target) ?? 0,
    };
    if (row.count > 0 || row.bytes > 0 || row.dropped > 0 || row.deliveredPerSecond > 0) hints.push(row);
    if (hints.length >= MEMBERS_MAX) break;
  }
  const partitions = cluster.ready ? cluster.ring.partitions : 0;
  const inRange = (p: number) => p >= 0 && p < partitions;
  const streams = deps.topology.activeStreams().filter((s) => inRange(s.partition)).map((s) => {
    const seconds = Math.max(0.001, (now - s.startedAtMs) / 1000);
    return {
      partition: s.partition, source: s.source, destination: s.destination, bytesDone: clampInt(s.bytesDone), bytesTotal: null,
      rateBytesPerSecond: real(s.bytesDone / seconds), etaSeconds: null, stalled: now - s.lastProgressAtMs > STREAM_STALLED_MS,
    };
  });
  return {
    id: selfId, atMs: clampInt(now), epoch: cluster.epoch, liveness,
    diskBytes: deps.sampler.diskBytes === null ? null : clampInt(deps.sampler.diskBytes),
    hints,
    hintsByPartition: [...deps.handoff.pendingByPartition].filter(([p]) => inRange(p)).sort((a, b) => a[0] - b[0]),
    streams,
    antiEntropy: antiEntropyPart(deps, now, inRange),
    p99Ms: { get: deps.sampler.history.latest()?.get.p99Ms ?? null, put: deps.sampler.history.latest()?.put.p99Ms ?? null },
    opsByPartition: [...deps.sampler.opsPerSecond].filter(([p]) => inRange(p)).map(([p, r]) => [p, real(r)] as [number, number]).sort((a, b) => a[0] - b[0]),
    ...(withTraffic ? {
      traffic: {
        resolutionMs: deps.sampler.intervalMs, capBytes: deps.sampler.history.capBytes, usedBytes: deps.sampler.history.usedBytes,
        series: deps.sampler.history.series(TRAFFIC_WIRE_SAMPLES_MAX),
      },
    } : {}),
  };
}

/** Per partition held: the last successful round with any peer, keys repaired by the last rounds, overdue. */
function antiEntropyPart(deps: SelfStatusDeps, now: number, inRange: (p: number) => boolean): SelfStatus['antiEntropy'] {
  const { cluster } = deps;
  const status = deps.antiEntropy.status();
  let oldest: number | undefined;
  const partitions = status.partitions.filter((p) => inRange(p.partition)).map((p) => {
    let last: number | null = null;
    let keysRepaired = 0;
    for (const peer of p.peers) {
      if (peer.lastSuccessAtMs !== null && (last === null || peer.lastSuccessAtMs > last)) last = peer.lastSuccessAtMs;
      keysRepaired += peer.keysRepaired;
    }
    // A partition without a second replica has no one to compare with: never overdue.
    const compared = cluster.ready && cluster.ring.preferenceList(p.partition).length >= 2;
    if (compared) {
      const since = Math.max(last ?? 0, deps.startedAtMs);
      if (oldest === undefined || since < oldest) oldest = since;
    }
    const overdue = deps.antiEntropyActive && compared && antiEntropyOverdue(last, deps.startedAtMs, now, deps.antiEntropyIntervalMs);
    return { partition: p.partition, lastCompletedMs: last === null ? null : clampInt(last), keysRepaired: clampInt(keysRepaired), overdue };
  });
  return {
    intervalMs: deps.antiEntropyIntervalMs,
    oldestRoundAgeMs: oldest === undefined || !deps.antiEntropyActive ? null : clampInt(now - oldest),
    partitions,
  };
}
