// Any node answers a console view for the whole cluster: it asks every member for its own part
// (one SelfStatus request each, all at once, with a short deadline: consoleRequestTimeoutMs) and
// builds the view from the parts. A member that did not answer in time is stale: the view keeps
// the last part it gave (or none). The last parts are kept for the members of the membership
// only, so the map is bounded by the member list. Concurrent views share one round of requests.
import { PeerMessageType as T } from '../peer/message-types.js';
import type { ClusterState } from '../membership/cluster-state.js';
import type { SelfStatus } from '../protocol/peer-messages.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';

export interface CollectedParts {
  /** Each member's part: fresh, or the last one it gave when stale; absent if it never answered. */
  parts: Map<string, SelfStatus>;
  /** Members that did not answer this round. */
  stale: Set<string>;
}

export interface StatusCollectorDeps {
  selfId: string;
  cluster: ClusterState;
  rpc: Pick<PeerRpc, 'request'>;
  /** This node's own part. */
  self: (withTraffic: boolean) => SelfStatus;
  timeoutMs: number;
}

export class StatusCollector {
  private readonly last = new Map<string, SelfStatus>();
  private readonly inFlight = new Map<boolean, Promise<CollectedParts>>();

  constructor(private readonly deps: StatusCollectorDeps) {}

  /** Every member's part (with its traffic history when asked). */
  collect(withTraffic = false): Promise<CollectedParts> {
    let p = this.inFlight.get(withTraffic);
    if (!p) {
      p = this.round(withTraffic).finally(() => this.inFlight.delete(withTraffic));
      this.inFlight.set(withTraffic, p);
    }
    return p;
  }

  private async round(withTraffic: boolean): Promise<CollectedParts> {
    const { cluster, selfId } = this.deps;
    const members = cluster.ready ? cluster.membership.members : [];
    const ids = new Set(members.map((m) => m.id));
    for (const id of this.last.keys()) if (!ids.has(id)) this.last.delete(id);
    const parts = new Map<string, SelfStatus>();
    const stale = new Set<string>();
    await Promise.all(members.map(async (m) => {
      let part: SelfStatus | undefined;
      if (m.id === selfId) part = this.deps.self(withTraffic);
      else {
        try {
          const reply = await this.deps.rpc.request(m.peer, { type: T.SelfStatus, ...(withTraffic ? { traffic: true } : {}) }, this.deps.timeoutMs);
          // A part must be the member's own: another node at that address is no answer.
          if (reply.status.id === m.id) part = reply.status;
        } catch {
          // not in time, refused or unreachable: stale
        }
      }
      if (part) {
        // A part without traffic keeps the traffic of the last one (a traffic view asks again).
        const before = this.last.get(m.id);
        this.last.set(m.id, part.traffic || !before?.traffic ? part : { ...part, traffic: before.traffic });
        parts.set(m.id, part);
      } else {
        stale.add(m.id);
        const before = this.last.get(m.id);
        if (before) parts.set(m.id, before);
      }
    }));
    return { parts, stale };
  }
}
