// The cluster as this node sees it, read when scraped: epoch, members by status, each peer's
// liveness and phi, and the replica health of the partitions (core's replicaHealth over the ring
// now and the liveness verdict). Labels are membership statuses and member ids: bounded by the
// cluster. Nothing here runs on the request path.
import { MEMBER_STATUSES, replicaHealth, type MemberStatus, type ReplicaHealthCounts } from '@ringkv/core';
import { Gauge, type Registry } from 'prom-client';

/** What the metrics read of the node, at scrape time. */
export interface ClusterMetricsSource {
  selfId: string;
  /** The cluster's default read and write quorums. */
  r: number;
  w: number;
  /** Whether this node serves (GET /ready would answer 200). */
  ready(): boolean;
  /** The membership this node serves with; undefined before it knows one. */
  membership(): { epoch: number; members: readonly { id: string; status: MemberStatus }[]; preferenceLists: () => readonly (readonly string[])[] } | undefined;
  /** The liveness verdict, phi and last heartbeat age of each listed member. */
  liveness(): readonly { id: string; alive: boolean; phi: number | null; heartbeatAgeMs: number | null }[];
}

export function registerClusterMetrics(registry: Registry, source: ClusterMetricsSource): void {
  const registers = [registry];
  new Gauge({ name: 'ringkv_ready', help: 'Whether this node serves: 1 when GET /ready answers 200', registers,
    collect() { this.set(source.ready() ? 1 : 0); } });
  new Gauge({ name: 'ringkv_epoch', help: 'Membership epoch this node serves with (0 before it knows one)', registers,
    collect() { this.set(source.membership()?.epoch ?? 0); } });
  new Gauge({
    name: 'ringkv_members', help: 'Members of the membership this node serves with, by status', labelNames: ['status'], registers,
    collect() {
      const counts = new Map<MemberStatus, number>(MEMBER_STATUSES.map((s) => [s, 0]));
      for (const m of source.membership()?.members ?? []) counts.set(m.status, (counts.get(m.status) ?? 0) + 1);
      for (const [status, n] of counts) this.set({ status }, n);
    },
  });
  new Gauge({
    name: 'ringkv_self_status', help: 'This node\'s own membership status: 1 for the status it has (none before it is a member)', labelNames: ['status'], registers,
    collect() {
      const own = source.membership()?.members.find((m) => m.id === source.selfId)?.status;
      for (const status of MEMBER_STATUSES) this.set({ status }, status === own ? 1 : 0);
    },
  });
  const peers = () => source.liveness().filter((m) => m.id !== source.selfId);
  new Gauge({
    name: 'ringkv_peer_up', help: 'Liveness verdict of each other member as this node sees it (gossip plus direct evidence): 1 up, 0 down or suspect', labelNames: ['peer'], registers,
    collect() {
      this.reset();
      for (const m of peers()) this.set({ peer: m.id }, m.alive ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ringkv_peer_phi', help: 'Phi accrual suspicion of each other member (the threshold is phiThreshold; absent before a heartbeat was seen)', labelNames: ['peer'], registers,
    collect() {
      this.reset();
      for (const m of peers()) if (m.phi !== null) this.set({ peer: m.id }, m.phi);
    },
  });
  new Gauge({
    name: 'ringkv_peer_heartbeat_age_seconds', help: 'Seconds since each other member\'s gossip heartbeat was last seen to rise (absent if never)', labelNames: ['peer'], registers,
    collect() {
      this.reset();
      for (const m of peers()) if (m.heartbeatAgeMs !== null) this.set({ peer: m.id }, m.heartbeatAgeMs / 1000);
    },
  });
  registerPartitionHealth(registry, source);
}

const HEALTH_GAUGES: readonly [string, keyof ReplicaHealthCounts, string][] = Object.freeze([
  ['ringkv_partitions', 'partitions', 'Partitions of the ring (Q)'],
  ['ringkv_partitions_fully_replicated', 'fullyReplicated', 'Partitions whose every replica is up, as this node sees liveness'],
  ['ringkv_partitions_under_replicated', 'underReplicated', 'Partitions with at least one replica down (includes those below R, below W and unavailable)'],
  ['ringkv_partitions_below_read_quorum', 'belowRead', 'Partitions with fewer replicas up than the default R: reads at R fail'],
  ['ringkv_partitions_below_write_quorum', 'belowWrite', 'Partitions with fewer replicas up than the default W: strict writes at W fail, sloppy ones lean on hints'],
  ['ringkv_partitions_unavailable', 'unavailable', 'Partitions with no replica up: nothing of them can be read'],
]);

/** Each gauge computes the counts when scraped (Q times N set lookups: microseconds). */
function registerPartitionHealth(registry: Registry, source: ClusterMetricsSource): void {
  const counts = (): ReplicaHealthCounts | undefined => {
    const m = source.membership();
    if (!m) return undefined;
    const up = new Set(source.liveness().filter((x) => x.alive).map((x) => x.id));
    up.add(source.selfId);
    return replicaHealth({ preferenceLists: m.preferenceLists(), r: source.r, w: source.w, up });
  };
  for (const [name, field, help] of HEALTH_GAUGES) {
    new Gauge({ name, help, registers: [registry], collect() { this.set(counts()?.[field] ?? 0); } });
  }
}
