// The write path: a record goes to every replica of the key's preference list (an owner that is
// down is replaced by a hinted stand-in, or its hint is kept here), and to the replicas a join or
// leave is moving the partition to (uncounted); the request answers once W replicas acked.
// Which targets and when W is met are core's (fallbackTargets, WriteQuorum).
import { WriteQuorum, effectiveQuorum, type StoredRecord, type WriteTarget } from '@ringkv/core';
import type { ClusterState } from '../membership/cluster-state.js';
import type { Liveness } from '../liveness/liveness.js';
import { QuorumUnavailableError } from '../errors.js';
import type { QuorumRequests } from './quorum-request.js';
import type { ReplicaClient } from './replica-client.js';
import type { ReplicationMetrics } from '../observability/replication-metrics.js';

export interface WritePathDeps {
  cluster: ClusterState;
  liveness: Liveness;
  /** Whether hinted handoff is on (a hint window above zero). */
  hintsOn: boolean;
  requests: QuorumRequests;
  replicas: ReplicaClient;
  metrics: ReplicationMetrics;
}

export class WritePath {
  constructor(private readonly deps: WritePathDeps) {}

  /** Writes a record to the key's replicas; resolves once W acked (strict: W real owners). */
  write(partition: number, key: Uint8Array, record: StoredRecord, w: number, strict: boolean): Promise<void> {
    const { cluster, liveness, hintsOn, replicas } = this.deps;
    const owners = cluster.ring.preferenceList(partition);
    const isUp = (id: string) => liveness.isUp(id);
    const targets: WriteTarget[] = hintsOn
      ? cluster.ring.fallbackTargets(partition, isUp)
      : owners.filter(isUp).map((node) => ({ node, hinted: false }));
    // A key has min(N, members) replicas; W counts among those.
    w = effectiveQuorum(w, owners.length);
    const quorum = new WriteQuorum({ targets, w, strict });
    const upfront = quorum.outcome();
    if (upfront.state === 'failed') {
      // Too few live replicas to ever reach W: refuse without writing anything (as Cassandra's
      // Unavailable), rather than leave a partial write behind a 503.
      this.deps.metrics.countCoordinated('write', 'unavailable');
      const alive = targets.filter((t) => !strict || !t.hinted).length;
      return Promise.reject(new QuorumUnavailableError('write', upfront.required, 0, { alive, replicas: owners.length, strict }));
    }
    if (hintsOn) {
      // Owners that are down with no stand-in: the coordinator keeps their hint (not counted toward W).
      for (const owner of owners) {
        if (!isUp(owner) && !targets.some((t) => t.forNode === owner)) void replicas.keepHint(partition, owner, key, record);
      }
    }
    const hintFor = (owner: string): Promise<void> | undefined =>
      hintsOn && owner !== cluster.selfId ? replicas.keepHint(partition, owner, key, record) : undefined;
    return this.deps.requests.run<void>('write', () => ({ required: w, acked: quorum.acked() }), (call) => {
      const check = () => {
        const outcome = quorum.outcome();
        if (outcome.state === 'succeeded') call.succeed();
        else if (outcome.state === 'failed') call.fail(new QuorumUnavailableError('write', outcome.required, outcome.acked, { replicas: owners.length, strict }));
      };
      for (const pending of cluster.pendingReplicas(partition)) {
        if (targets.some((t) => t.node === pending)) continue;
        replicas.track(replicas.write(partition, key, record, { node: pending, hinted: false }).catch(() => hintFor(pending)));
      }
      for (const target of targets) {
        replicas.track(replicas.write(partition, key, record, target).then(
          () => {
            quorum.ack(target.node);
            check();
          },
          (err: unknown) => {
            quorum.fail(target.node, (err as Error).message);
            check();
            return hintFor(target.forNode ?? target.node);
          },
        ));
      }
    });
  }
}
