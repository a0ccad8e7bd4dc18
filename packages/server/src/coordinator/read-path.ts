// The read path: every live replica of the key is asked; once R replied the newest record is the
// answer, after the replicas that made up R and were stale got it (so quorum reads never go
// backwards). When every replica has replied or failed, the stale rest are repaired in the
// background. The winner and the repairs are core's (ReadQuorum).
import { ReadQuorum, effectiveQuorum, type StoredRecord } from '@ringkv/core';
import type { ClusterState } from '../membership/cluster-state.js';
import type { Liveness } from '../liveness/liveness.js';
import { QuorumUnavailableError, RequestTimeoutError } from '../errors.js';
import type { QuorumRequests } from './quorum-request.js';
import type { ReplicaClient } from './replica-client.js';
import type { ReplicationMetrics } from '../observability/replication-metrics.js';

export interface ReadPathDeps {
  cluster: ClusterState;
  liveness: Liveness;
  requests: QuorumRequests;
  replicas: ReplicaClient;
  metrics: ReplicationMetrics;
}

export class ReadPath {
  constructor(private readonly deps: ReadPathDeps) {}

  /** The key's newest record (tombstones included) once R replicas replied, with read repair. */
  read(partition: number, key: Uint8Array, r: number): Promise<StoredRecord | undefined> {
    const { cluster, liveness, replicas } = this.deps;
    const owners = cluster.ring.preferenceList(partition);
    r = effectiveQuorum(r, owners.length);
    const quorum = new ReadQuorum({ targets: owners, r });
    /** What each replica was sent (or is being sent) as a repair, so none gets the same twice. */
    const repaired = new Map<string, StoredRecord>();
    const repair = (node: string, record: StoredRecord): Promise<void> => {
      repaired.set(node, record);
      this.deps.metrics.readRepairs.inc();
      return replicas.write(partition, key, record, { node, hinted: false });
    };
    let outstanding = owners.length;
    const repairTheRest = () => {
      if (--outstanding > 0) return;
      for (const fix of quorum.repairsNeeded()) {
        if (repaired.get(fix.node) !== fix.record) void replicas.track(repair(fix.node, fix.record)).catch(() => undefined);
      }
    };
    return this.deps.requests.run<StoredRecord | undefined>('read', () => ({ required: r }), (call) => {
      const check = () => {
        if (call.ended) return;
        const outcome = quorum.outcome();
        if (outcome.state === 'pending') return;
        if (outcome.state === 'failed') {
          call.fail(new QuorumUnavailableError('read', outcome.required, outcome.acked, { replicas: owners.length }));
          return;
        }
        const inR = new Set(outcome.replied);
        const first = quorum.repairsNeeded().filter((fix) => inR.has(fix.node));
        call.endWith(Promise.all(first.map((fix) => repair(fix.node, fix.record))).then(
          () => outcome.winner,
          (err: unknown) => {
            throw err instanceof RequestTimeoutError ? err : new QuorumUnavailableError('read', r, r - 1, { repairFailed: true });
          },
        ));
      };
      for (const owner of owners) {
        if (!liveness.isUp(owner)) {
          quorum.fail(owner);
          check();
          repairTheRest();
          continue;
        }
        replicas.read(partition, key, owner).then(
          (record) => {
            quorum.reply(owner, record);
            check();
            repairTheRest();
          },
          () => {
            quorum.fail(owner);
            check();
            repairTheRest();
          },
        );
      }
    });
  }
}
