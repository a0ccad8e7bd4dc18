// Wires the scrape-time metrics of a node's runtime to its parts: the cluster view and replica
// health (cluster-metrics.ts), the Raft group (raft-metrics.ts) and the background work's backlog
// (progress-metrics.ts). Called once by NodeRuntime's constructor.
import type { NodeRuntime } from '../node-runtime.js';
import type { Registry } from 'prom-client';
import { registerClusterMetrics } from './cluster-metrics.js';
import { registerProgressMetrics } from './progress-metrics.js';
import { RaftMetrics } from './raft-metrics.js';

export function registerRuntimeMetrics(runtime: NodeRuntime, registry: Registry): { raft: RaftMetrics } {
  const { config, cluster, liveness } = runtime;
  const { clock } = runtime.components;
  registerClusterMetrics(registry, {
    selfId: config.id, r: config.r, w: config.w,
    ready: () => runtime.ready,
    membership: () => {
      if (!cluster.ready) return undefined;
      const ring = cluster.ring;
      return {
        epoch: cluster.epoch, members: cluster.membership.members,
        preferenceLists: () => Array.from({ length: ring.partitions }, (_, p) => ring.preferenceList(p)),
      };
    },
    liveness: () => liveness.members(),
  });
  registerProgressMetrics(registry, {
    nowMs: () => clock.nowMs(),
    hints: { totalBytes: () => runtime.hints.totalBytes(), get oldestPendingAtMs() { return runtime.handoff.oldestPendingAtMs; } },
    antiEntropy: {
      status: () => runtime.antiEntropy.status(),
      manual: runtime.antiEntropy.options.manual === true, intervalMs: runtime.antiEntropy.options.intervalMs,
    },
    replicasOf: (p) => (cluster.ready ? cluster.ring.preferenceList(p).length : 0),
    startedAtMs: clock.nowMs(),
    topology: runtime.topology,
    pace: runtime.pacer,
  });
  return { raft: new RaftMetrics(registry, config.id, () => runtime.raft.status()) };
}
