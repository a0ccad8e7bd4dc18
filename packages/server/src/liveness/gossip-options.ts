// What GossipService is built from (dependencies and options from the node's config) and what it
// shows of each member.
import type { Prng } from '@ringkv/core';
import type { Clock } from '../clock.js';
import type { ClockOffsets } from '../time/clock-offsets.js';
import type { Logger } from '../observability/logger.js';
import type { PeerProtocol } from '../protocol/peer-protocol.js';
import type { PeerRouter } from '../protocol/peer-router.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';
import type { GossipMember } from './gossip-membership.js';

/** Where a higher epoch was seen: the member that claims it, and the peer whose digest said so. */
export interface HigherEpochHint {
  /** Peer address of the member that claims the epoch (it has applied it). */
  readonly peer: string;
  /** The node whose digest carried the claim. */
  readonly via: string;
}

export interface GossipServiceDeps {
  readonly selfId: string;
  readonly self: { readonly peer: string; readonly http: string; readonly zone?: string };
  readonly clock: Clock;
  /** Requests to peers (typed replies). */
  readonly rpc: PeerRpc;
  /** Where the Gossip request handler is registered. */
  readonly router: PeerRouter;
  /** Decodes digest entries one by one. */
  readonly protocol: PeerProtocol;
  /** Told of each exchange's round trip and the peer's clock (offset measurement). */
  readonly offsets?: ClockOffsets;
  /** The members of the latest applied membership (empty until it is known). */
  readonly members: () => readonly GossipMember[];
  /** The epoch this node has applied; gossiped in its own entry. */
  readonly epoch: () => number;
  /** Some member knows a higher epoch: fetch the newer membership (from hint.peer). */
  readonly onHigherEpoch?: (fromId: string, epoch: number, hint: HigherEpochHint) => void;
  /**
   * A member refused this node's gossip as from a non-member: this node may have been removed
   * without hearing so (cut off while the removal committed).
   */
  readonly onRefusedAsNonMember?: (fromId: string) => void;
  /** Gossip round interval (config gossipIntervalMs, default 1000). */
  readonly intervalMs?: number;
  /** Peers per round (config gossipFanout, default 3). */
  readonly fanout?: number;
  /** Phi at which a peer counts as down (config phiThreshold, default 8). */
  readonly phiThreshold?: number;
  /** Timeout of one gossip exchange (default: the interval). */
  readonly timeoutMs?: number;
  /** Chance per round of also gossiping to one peer thought down (default: the core's 0.25). */
  readonly downProbeChance?: number;
  /** Incarnation of this run; must exceed any earlier run's (default: the clock's now in ms). */
  readonly incarnation?: number;
  /** Target choice and timer jitter: this node's generator, forked for gossip. */
  readonly prng: Prng;
  readonly logger?: Logger;
}

/** One member as GET /cluster shows its liveness. */
export interface GossipMemberView extends GossipMember {
  /** The verdict the coordinator uses (gossip plus direct evidence). */
  readonly alive: boolean;
  /** The phi detector's suspicion level; null before any advance was seen. */
  readonly phi: number | null;
  /** Ms since the member's heartbeat was last seen to rise; null if never. */
  readonly heartbeatAgeMs: number | null;
  readonly incarnation: number;
  readonly heartbeat: number;
  /** The highest epoch the member says it knows. */
  readonly epoch: number;
}
