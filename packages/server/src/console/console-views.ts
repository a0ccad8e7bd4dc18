// The console's JSON views (docs/console.md) built from the members' own parts and what the
// answering node knows (membership, ring, its liveness view): /cluster/health, /cluster/nodes,
// /cluster/partitions, /cluster/transfers and /cluster/traffic. Pure functions of their inputs;
// the verdicts are core's (health/).
import {
  clusterVerdict, livenessWord, partitionHealth, partitionHealthWord, replicaHealth, replicaShares,
  type ClusterVerdictWord, type LivenessWord, type MemberRecord, type PartitionHealthWord,
} from '@ringkv/core';
import type { SelfStatus } from '../protocol/peer-messages.js';
import type { CollectedParts } from './status-collector.js';
import type { OpTraffic, TrafficSample } from './traffic-history.js';

export interface ViewContext {
  selfId: string;
  epoch: number;
  leader: string | null;
  members: readonly MemberRecord[];
  /** Preference lists now (index = partition) and after the moves in progress (absent: none). */
  ring: readonly (readonly string[])[];
  target?: readonly (readonly string[])[];
  replicas: number;
  r: number;
  w: number;
  /** The answering node's liveness view of each member. */
  liveness: ReadonlyMap<string, { alive: boolean; phi: number | null; heartbeatAgeMs: number | null }>;
  /** The answering node's clock offset to each member (ms; null: not measured). */
  clockOffsetMs: ReadonlyMap<string, number | null>;
  downAfterMs: number;
}

/** Liveness words of every member as the answering node sees them (itself up). */
function livenessOf(ctx: ViewContext): Map<string, LivenessWord> {
  return new Map(ctx.members.map((m) => {
    if (m.id === ctx.selfId) return [m.id, 'up'];
    const l = ctx.liveness.get(m.id);
    return [m.id, l ? livenessWord(l, ctx.downAfterMs) : 'down'];
  }));
}

const upSet = (words: ReadonlyMap<string, LivenessWord>) => new Set([...words].filter(([, w]) => w === 'up').map(([id]) => id));

/** Streams over all parts, each once (a stream is reported by the node that runs it). */
function allStreams(parts: Iterable<SelfStatus>): (SelfStatus['streams'][number])[] {
  const seen = new Map<string, SelfStatus['streams'][number]>();
  for (const part of parts) for (const s of part.streams) seen.set(`${s.partition} ${s.source} ${s.destination}`, s);
  return [...seen.values()].sort((a, b) => a.partition - b.partition || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0) || (a.destination < b.destination ? -1 : 1));
}

export interface HealthView {
  verdict: ClusterVerdictWord;
  reasons: string[];
  node: string;
  epoch: number;
  leader: string | null;
  nodes: { total: number; up: number; suspect: number; down: number; joining: number; leaving: number; stale: number };
  partitions: { total: number; fullyReplicated: number; underReplicated: number; belowRead: number; belowWrite: number; unavailable: number };
  transfers: { inFlight: number };
  hints: { count: number; bytes: number; oldestAgeMs: number | null };
  antiEntropy: { oldestRoundAgeMs: number | null; overduePartitions: number };
  stale: string[];
}

export function healthView(ctx: ViewContext, c: CollectedParts): HealthView {
  const words = livenessOf(ctx);
  const count = (w: LivenessWord) => [...words.values()].filter((x) => x === w).length;
  const nodes = {
    total: ctx.members.length, up: count('up'), suspect: count('suspect'), down: count('down'),
    joining: ctx.members.filter((m) => m.status === 'joining').length, leaving: ctx.members.filter((m) => m.status === 'leaving').length,
    stale: c.stale.size,
  };
  const h = replicaHealth({ preferenceLists: ctx.ring, r: ctx.r, w: ctx.w, up: upSet(words) });
  const partitions = {
    total: h.partitions, fullyReplicated: h.fullyReplicated, underReplicated: h.underReplicated,
    belowRead: h.belowRead, belowWrite: h.belowWrite, unavailable: h.unavailable,
  };
  const hints = { count: 0, bytes: 0, oldestAgeMs: null as number | null };
  let oldestRound: number | null = null;
  let overdue = 0;
  for (const part of c.parts.values()) {
    for (const x of part.hints) {
      hints.count += x.count;
      hints.bytes += x.bytes;
      if (x.oldestAgeMs !== null && (hints.oldestAgeMs === null || x.oldestAgeMs > hints.oldestAgeMs)) hints.oldestAgeMs = x.oldestAgeMs;
    }
    const age = part.antiEntropy.oldestRoundAgeMs;
    if (age !== null && (oldestRound === null || age > oldestRound)) oldestRound = age;
    overdue += part.antiEntropy.partitions.filter((p) => p.overdue).length;
  }
  const inFlight = allStreams(c.parts.values()).length;
  const { verdict, reasons } = clusterVerdict({ nodes, partitions, transfersInFlight: inFlight, hints, antiEntropyOverdue: overdue });
  return {
    verdict, reasons, node: ctx.selfId, epoch: ctx.epoch, leader: ctx.leader, nodes, partitions,
    transfers: { inFlight }, hints, antiEntropy: { oldestRoundAgeMs: oldestRound, overduePartitions: overdue },
    stale: [...c.stale].sort(),
  };
}

export interface NodeRow {
  id: string;
  peer: string;
  http: string;
  zone: string | null;
  status: MemberRecord['status'];
  liveness: LivenessWord;
  phi: number | null;
  lastHeardAgeMs: number | null;
  clockOffsetMs: number | null;
  share: { now: number; afterMoves: number };
  diskBytes: number | null;
  hints: { to: number; from: number };
  streams: number;
  p99Ms: { get: number | null; put: number | null };
  stale: boolean;
}

export function nodesView(ctx: ViewContext, c: CollectedParts): { node: string; epoch: number; nodes: NodeRow[] } {
  const words = livenessOf(ctx);
  const now = replicaShares(ctx.ring);
  const after = replicaShares(ctx.target ?? ctx.ring);
  const streams = allStreams(c.parts.values());
  const nodes = ctx.members.map((m): NodeRow => {
    const part = c.parts.get(m.id);
    const l = ctx.liveness.get(m.id);
    const self = m.id === ctx.selfId;
    let to = 0;
    for (const p of c.parts.values()) for (const x of p.hints) if (x.target === m.id) to += x.count;
    return {
      id: m.id, peer: m.peer, http: m.http, zone: m.zone ?? null, status: m.status, liveness: words.get(m.id) ?? 'down',
      phi: self ? null : l?.phi ?? null, lastHeardAgeMs: self ? 0 : l?.heartbeatAgeMs ?? null,
      clockOffsetMs: self ? 0 : ctx.clockOffsetMs.get(m.id) ?? null,
      share: { now: now.get(m.id) ?? 0, afterMoves: after.get(m.id) ?? 0 },
      diskBytes: part?.diskBytes ?? null,
      hints: { to, from: part ? part.hints.reduce((sum, x) => sum + x.count, 0) : 0 },
      streams: streams.filter((s) => s.source === m.id || s.destination === m.id).length,
      p99Ms: part?.p99Ms ?? { get: null, put: null },
      stale: c.stale.has(m.id),
    };
  });
  return { node: ctx.selfId, epoch: ctx.epoch, nodes };
}

export interface PartitionRow {
  partition: number;
  replicas: string[];
  up: number;
  health: PartitionHealthWord;
  pendingOwners: string[];
  lastMerkleExchangeMs: number | null;
  hints: number;
  opsPerSecond: number;
}

export function partitionsView(ctx: ViewContext, c: CollectedParts): { epoch: number; replicas: number; r: number; w: number; partitions: PartitionRow[] } {
  const up = upSet(livenessOf(ctx));
  const q = ctx.ring.length;
  const lastExchange: (number | null)[] = new Array(q).fill(null);
  const hints = new Float64Array(q);
  const ops = new Float64Array(q);
  for (const part of c.parts.values()) {
    for (const a of part.antiEntropy.partitions) {
      if (a.partition < q && a.lastCompletedMs !== null && (lastExchange[a.partition] === null || a.lastCompletedMs > lastExchange[a.partition]!)) lastExchange[a.partition] = a.lastCompletedMs;
    }
    for (const [p, n] of part.hintsByPartition) if (p < q) hints[p] += n;
    for (const [p, r] of part.opsByPartition) if (p < q) ops[p] += r;
  }
  const partitions = ctx.ring.map((list, p): PartitionRow => {
    const h = partitionHealth(list, ctx.r, ctx.w, up);
    const owners = new Set(list);
    return {
      partition: p, replicas: [...list], up: h.up, health: partitionHealthWord(h),
      pendingOwners: ctx.target ? ctx.target[p].filter((id) => !owners.has(id)) : [],
      lastMerkleExchangeMs: lastExchange[p], hints: hints[p], opsPerSecond: Math.round(ops[p] * 100) / 100,
    };
  });
  return { epoch: ctx.epoch, replicas: ctx.replicas, r: ctx.r, w: ctx.w, partitions };
}

export function transfersView(c: CollectedParts): {
  streams: SelfStatus['streams'];
  hints: ({ holder: string } & SelfStatus['hints'][number])[];
  antiEntropy: ({ node: string } & SelfStatus['antiEntropy']['partitions'][number])[];
} {
  const parts = [...c.parts.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const hints = parts.flatMap((p) => p.hints.map((h) => ({ holder: p.id, ...h })));
  const antiEntropy = parts.flatMap((p) => p.antiEntropy.partitions.map((a) => ({ node: p.id, ...a })));
  // Overdue first, then the least recently completed (never first), then by node and partition.
  antiEntropy.sort((a, b) => Number(b.overdue) - Number(a.overdue)
    || (a.lastCompletedMs ?? -1) - (b.lastCompletedMs ?? -1) || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0) || a.partition - b.partition);
  return { streams: allStreams(parts), hints, antiEntropy };
}

export interface TrafficView {
  resolutionMs: number;
  capBytes: number;
  usedBytes: number;
  series: { atMs: number; get: OpTraffic; put: OpTraffic; delete: OpTraffic; errors: Record<string, number> }[];
}

const worst = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/** One node's history, or (node = 'all') every node's summed per interval: ops and errors added, the worst quantiles. */
export function trafficView(c: CollectedParts, node: string, resolutionMs: number): TrafficView | undefined {
  const parts = node === 'all' ? [...c.parts.values()] : c.parts.has(node) ? [c.parts.get(node)!] : undefined;
  if (!parts) return undefined;
  const res = parts.find((p) => p.traffic)?.traffic?.resolutionMs ?? resolutionMs;
  const buckets = new Map<number, TrafficView['series'][number]>();
  let capBytes = 0;
  let usedBytes = 0;
  for (const part of parts) {
    if (!part.traffic) continue;
    capBytes += part.traffic.capBytes;
    usedBytes += part.traffic.usedBytes;
    for (const s of part.traffic.series as TrafficSample[]) {
      // Nodes sample on their own ticks: one interval of the sum is one resolution-wide slot.
      const at = node === 'all' ? Math.floor(s.atMs / res) * res : s.atMs;
      const b = buckets.get(at);
      const errors = Object.fromEntries(s.errors);
      if (!b) {
        buckets.set(at, { atMs: at, get: { ...s.get }, put: { ...s.put }, delete: { ...s.delete }, errors });
        continue;
      }
      for (const op of ['get', 'put', 'delete'] as const) {
        b[op] = { ops: b[op].ops + s[op].ops, p50Ms: worst(b[op].p50Ms, s[op].p50Ms), p99Ms: worst(b[op].p99Ms, s[op].p99Ms) };
      }
      for (const [code, n] of s.errors) b.errors[code] = (b.errors[code] ?? 0) + n;
    }
  }
  const series = [...buckets.values()].sort((a, b) => a.atMs - b.atMs);
  return { resolutionMs: res, capBytes, usedBytes, series };
}
