// Builds a node's AntiEntropy from its runtime: the runtime's store, cluster view, liveness, peer
// handler, transport, clock, HLC, logger and metrics registry, and the configured interval and grace.
import type { NodeRuntime } from '../node-runtime.js';
import { AntiEntropy } from './anti-entropy.js';
import { antiEntropyOptions, type AntiEntropyOptions } from './anti-entropy-options.js';

export function attachAntiEntropy(runtime: NodeRuntime, over: Partial<AntiEntropyOptions> = {}): AntiEntropy {
  const { clock, logger, metrics } = runtime.components;
  return new AntiEntropy({
    selfId: runtime.config.id, reader: runtime.partitions, nextTurn: runtime.nextTurn, prng: runtime.components.prng.fork('anti-entropy'), store: runtime.store, cluster: runtime.cluster, liveness: runtime.liveness, rpc: runtime.rpc,
    router: runtime.router, admission: runtime.admission, clock, hlc: runtime.hlc,
    onBadRecord: () => runtime.replicationMetrics.corruptEntries.inc({ keyspace: 'peer' }),
    onCorrupt: () => runtime.replicationMetrics.corruptEntries.inc({ keyspace: 'data' }),
    log: logger.child({ component: 'anti-entropy' }), registry: metrics.registry, pace: runtime.pacer,
  }, antiEntropyOptions(runtime.config, over));
}
