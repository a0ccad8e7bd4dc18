// Options of the WebSocket peer transport, with the reason for each default.
import { immediateTurn, type Clock, type NextTurn } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import type { RemoteIdentity } from './handshake.js';

/**
 * What an authenticated peer may be to this node: a member (its connection serves the link to
 * its address), a guest (a node not in the membership: a joiner, a seed before the cluster
 * formed; a bounded number, replies only), or refused.
 */
export type PeerStanding = 'member' | 'guest' | { refuse: string };

export interface WsTransportOptions {
  nodeId: string;
  /** Where to listen; port 0 picks a free port (see WsTransport.boundPort). */
  listen: { host: string; port: number };
  /** This node's peer address HOST:PORT as other nodes dial it. */
  advertise: string;
  /** The cluster secret, proven in the handshake, never sent. */
  secret: string;
  /** Older secrets still accepted from peers while a new one rolls out. */
  acceptedSecrets?: readonly string[];
  /** Mutual TLS on the peer port (wss): this node's certificate and key, and the cluster CA. */
  tls?: import('./peer-tls.js').PeerTlsFiles;
  /** Sockets open on the peer port at once; more are closed at once. */
  maxConnections?: number;
  clock: Clock;
  /** Where a connection flushes its outbox (default setImmediate: once per event-loop turn). */
  nextTurn?: NextTurn;
  logger: Logger;
  /** Requests held per peer (not connected yet, or the socket is backed up) before PEER_OVERLOADED. */
  maxQueuedPerPeer?: number;
  /** TCP connect plus handshake, on both sides. */
  connectTimeoutMs?: number;
  /** First reconnect delay after a failed dial; doubles per failure up to backoffMaxMs, jittered. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Above this many bytes buffered in a socket, new messages wait in the bounded queue. */
  highWaterMarkBytes?: number;
  /** The largest frame accepted from a peer (ws maxPayload); also the largest message sent. */
  maxFrameBytes?: number;
  /** A batch frame is cut once it reaches this size, so one frame never holds the loop for long. */
  frameTargetBytes?: number;
  /** Keepalive ping period; a connection silent for two periods is dropped. 0 disables. */
  pingIntervalMs?: number;
  /** Jitter source in [0, 1) of the reconnect backoff: a fork of the node's seeded Prng. */
  random: () => number;
  /** Connections in their handshake at once; more are closed unread. */
  maxPendingHandshakes?: number;
  /** Authenticated connections of guests (see PeerStanding). */
  maxGuestConnections?: number;
  /** Requests of one peer being handled at once; beyond it, PEER_OVERLOADED. */
  maxInboundPerConnection?: number;
  /** Bytes queued for one connection past which its peer counts as not reading (closed). */
  maxQueuedBytesPerConnection?: number;
  /** A link with no traffic this long is dropped (its connection closed). */
  linkIdleMs?: number;
  /** What an authenticated peer is to this node (default: every peer a member). */
  classify?: (peer: RemoteIdentity) => PeerStanding;
  /** The node id expected at an address this node dials (undefined: whoever answers). */
  expectedIdAt?: (address: string) => string | undefined;
}

export type ResolvedWsTransportOptions = Required<Omit<WsTransportOptions, 'tls'>> & Pick<WsTransportOptions, 'tls'>;

export function resolveWsTransportOptions(opts: WsTransportOptions): ResolvedWsTransportOptions {
  const resolved: ResolvedWsTransportOptions = {
    // Enough for a burst of a busy coordinator while a peer (re)connects, small enough to bound memory.
    maxQueuedPerPeer: 10_000,
    // Loopback and LAN handshakes take well under 100 ms; 2 s tolerates a loaded peer.
    connectTimeoutMs: 2_000,
    // 50 ms doubling to 5 s: a restarting peer is found again quickly, a dead one costs little.
    backoffBaseMs: 50,
    backoffMaxMs: 5_000,
    // 8 MiB buffered is tens of milliseconds of a fast link: beyond that the peer is not keeping up.
    highWaterMarkBytes: 8 * 1024 * 1024,
    // Twice the largest legal message of a node with default limits (a 1 MiB stream chunk plus
    // its last entry of up to 1 MiB); a node passes the cap its own limits need (peerFrameCap).
    maxFrameBytes: 8 * 1024 * 1024,
    // 1 MiB frames: large enough to batch thousands of small messages, small enough to interleave.
    frameTargetBytes: 1024 * 1024,
    // 5 s: half-open connections (a peer that vanished without a FIN) are dropped within ~10 s.
    pingIntervalMs: 5_000,
    nextTurn: immediateTurn,
    // A hundred nodes reconnecting after a restart handshake a few at a time; a flood of
    // half-open connections must not cost memory.
    maxPendingHandshakes: 64,
    // Joins come one at a time.
    maxGuestConnections: 16,
    // Far above what a coordinator has in flight to one replica.
    maxInboundPerConnection: 4096,
    // Seconds of a busy link.
    maxQueuedBytesPerConnection: 64 * 1024 * 1024,
    // Members talk every gossip round; a minute of silence is a peer that left.
    linkIdleMs: 60_000,
    classify: () => 'member',
    expectedIdAt: () => undefined,
    acceptedSecrets: [],
    // One per peer, plus handshakes and guests.
    maxConnections: 1024,
    ...stripUndefined(opts),
  } as ResolvedWsTransportOptions;
  if (!resolved.nodeId) throw new TypeError('nodeId is required');
  if (!resolved.secret) throw new TypeError('secret is required');
  if (!/^.+:\d+$/.test(resolved.advertise)) throw new TypeError(`advertise must be HOST:PORT, got "${resolved.advertise}"`);
  for (const k of ['maxQueuedPerPeer', 'connectTimeoutMs', 'backoffBaseMs', 'backoffMaxMs', 'highWaterMarkBytes', 'maxFrameBytes', 'frameTargetBytes', 'maxPendingHandshakes', 'maxInboundPerConnection', 'maxQueuedBytesPerConnection', 'linkIdleMs', 'maxConnections'] as const) {
    if (!(resolved[k] > 0)) throw new TypeError(`${k} must be positive`);
  }
  return Object.freeze(resolved);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
