// The membership group's peer requests: Raft messages (the sender must be who the message says,
// and the message must be for this node), changes forwarded to the leader (a node that is not a
// member may only ask to add itself), and the current membership for a node behind, member or
// lately removed (a removed node is sent no Raft entries: asking is how it learns its removal).
import type { RaftMessage } from '@ringkv/core';
import type { ClusterState } from './cluster-state.js';
import { PeerMessageType as T } from '../peer/message-types.js';
import type { PeerIdentity } from '../peer/transport.js';
import type { PeerRouter } from '../protocol/peer-router.js';
import type { MembershipService } from './membership-service.js';
import type { RaftDriver } from './raft-driver.js';

export interface MembershipHandlerDeps {
  selfId: string;
  cluster: ClusterState;
  membership: MembershipService;
  raft: RaftDriver;
  /** Whether the sender is a member of the membership this node serves. */
  isMember: (from: PeerIdentity) => boolean;
  /** Where Raft peers were heard from (a joining node answers the leader there); bounded. */
  raftPeers: Map<string, string>;
  maxRaftPeers: number;
}

export function registerMembershipHandlers(router: PeerRouter, deps: MembershipHandlerDeps): void {
  router.on(T.Raft, 'member', (from, { msg }) => {
    if (msg.from !== from.id) router.refuse(from, T.Raft, `raft message from ${msg.from} sent by ${from.id}`);
    if (msg.to !== deps.selfId) router.refuse(from, T.Raft, `raft message for ${msg.to} sent to ${deps.selfId}`);
    rememberPeer(deps, from);
    deps.raft.step(msg as RaftMessage);
    return { type: T.RaftAck };
  });

  router.on(T.MembershipChange, 'anyone', (from, msg) => deps.membership.handleForwarded(from, msg, deps.cluster.ready && deps.isMember(from)));

  // A former member (removed by an epoch this process applied, at the address it had) gets the
  // current membership too, the one without it: it may have missed its own removal.
  const memberOrFormer = (from: PeerIdentity) => deps.isMember(from) || deps.cluster.wasMember(from.id, from.address);
  router.on(T.MembershipGet, memberOrFormer, () => ({ type: T.MembershipReply, state: deps.membership.current ?? null }));
}

/** Most recently heard first out: the map never holds more than maxRaftPeers addresses. */
function rememberPeer(deps: MembershipHandlerDeps, from: PeerIdentity): void {
  const { raftPeers } = deps;
  raftPeers.delete(from.id);
  raftPeers.set(from.id, from.address);
  while (raftPeers.size > deps.maxRaftPeers) raftPeers.delete(raftPeers.keys().next().value!);
}
