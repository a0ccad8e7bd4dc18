// What an operator's `remove` must pass before it is proposed (issue 14): the member is not alive
// (gossip does not hear it: removing a live node throws away a replica for nothing; `force`
// overrides), and no live member is still catching up on partitions a previous change gave it
// (its sources may include the very node being removed: two removals in quick succession could
// take the last copy of a partition). The wait for catch-up lasts up to the change's deadline.
import { sleepOn, type Clock } from '../clock.js';
import type { ClusterState } from './cluster-state.js';
import type { Liveness } from '../liveness/liveness.js';
import { PeerMessageType as T } from '../peer/message-types.js';
import type { ReplyOf } from '../protocol/peer-messages.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';
import { MembershipChangeRefusedError } from './membership-errors.js';

export type TopologyStatus = Omit<ReplyOf<typeof T.TopologyStatus>, 'type'>;

export interface RemovalGuardDeps {
  selfId: string;
  cluster: ClusterState;
  liveness: Pick<Liveness, 'isUp'>;
  /** Gossip has heard the member (its heartbeat rose) and holds it alive: not just a grace period. */
  hears: (id: string) => boolean;
  rpc: PeerRpc;
  clock: Clock;
  requestTimeoutMs: number;
  /** This node's own topology status. */
  ownStatus: () => TopologyStatus;
}

const POLL_MS = 250;

export async function checkRemoval(deps: RemovalGuardDeps, id: string, deadlineMs: number): Promise<void> {
  const { cluster, clock } = deps;
  if (id !== deps.selfId && cluster.member(id) && deps.hears(id)) {
    throw new MembershipChangeRefusedError(
      `remove: ${id} is alive (gossip hears it); decommission it with \`ringkv cluster leave\` on that node, stop it first, or pass force to remove it anyway`,
    );
  }
  // A member that owns no partition (one still joining) holds no copy anyone could lose.
  const owned = cluster.ring.partitionsOf(id);
  if (owned.primary.length + owned.replica.length === 0) return;
  for (;;) {
    const busy = await catchingUp(deps, id);
    if (busy.length === 0) return;
    if (clock.nowMs() + POLL_MS >= deadlineMs) {
      throw new MembershipChangeRefusedError(
        `remove: a previous change is still being caught up on (${busy.join('; ')}): removing another member now could remove the last copy of a partition; retry once it finished (GET /cluster, topology), or pass force`,
      );
    }
    await sleepOn(clock, POLL_MS);
  }
}

/** Live members (but `removing`) that are still receiving partitions, with what they wait for. */
async function catchingUp(deps: RemovalGuardDeps, removing: string): Promise<string[]> {
  const { cluster, liveness, rpc, selfId } = deps;
  const epoch = cluster.epoch;
  const describe = (id: string, s: TopologyStatus): string | undefined =>
    s.caughtUpEpoch < epoch || s.pendingPartitions > 0
      ? `${id} waits for ${s.pendingPartitions} partition(s), caught up to epoch ${s.caughtUpEpoch} of ${epoch}`
      : undefined;
  const others = cluster.membership.members.filter((m) => m.id !== removing && m.id !== selfId && liveness.isUp(m.id));
  const answers = await Promise.all(others.map(async (m) => {
    try {
      const s = await rpc.request(m.peer, { type: T.TopologyStatus }, deps.requestTimeoutMs);
      // A member one epoch behind has not even started on this epoch's moves.
      return s.epoch < epoch ? `${m.id} is at epoch ${s.epoch} of ${epoch}` : describe(m.id, s);
    } catch (err) {
      return `${m.id} did not answer (${(err as Error).message})`;
    }
  }));
  const mine = cluster.member(selfId) ? describe(selfId, deps.ownStatus()) : undefined;
  return [mine, ...answers].filter((x): x is string => x !== undefined);
}
