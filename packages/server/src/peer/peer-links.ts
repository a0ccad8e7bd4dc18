// The links of the WebSocket transport: per peer address, the connection, our dial in progress,
// the requests waiting for a connection and the reconnect backoff; and the guests (authenticated
// nodes that are not members, a bounded number of connections of their own). A link is dialed
// lazily when a request needs it (peer-dialer.ts dials, with backoff). When both sides dial at
// once, each keeps the connection dialed by the smaller node id. Links idle for linkIdleMs are dropped.
import type WebSocket from 'ws';
import type { Logger } from '../observability/logger.js';
import { CloseCode } from './frame-codec.js';
import type { RemoteIdentity } from './handshake.js';
import type { Outgoing } from './outbox.js';
import { PeerConnection, settle, type ConnectionOptions, type TransportStats } from './peer-connection.js';
import { PeerDialer, type DialedLink } from './peer-dialer.js';
import { PeerOverloadedError, PeerUnavailableError } from './peer-errors.js';
import type { PeerTlsMaterial } from './peer-tls.js';
import type { PeerBody } from './transport.js';
import type { ResolvedWsTransportOptions } from './ws-transport-options.js';

interface Link extends DialedLink {
  peerId?: string;
  /** Clock time of the last request through this link. */
  lastUsedMs: number;
}

export interface PeerLinksDeps {
  opts: ResolvedWsTransportOptions;
  log: Logger;
  stats: TransportStats;
  /** Whether the transport is running (no dial, no new connection otherwise). */
  running(): boolean;
  /** The peer port's TLS material, when it runs mutual TLS. */
  tls(): PeerTlsMaterial | undefined;
  /** This node's identity and secrets, as the handshake proves them. */
  self(): { id: string; address: string; secret: string; acceptedSecrets: readonly string[] };
  /** Keeps a socket among those stop() waits for. */
  track(ws: WebSocket): void;
  /** A request of a peer on one of the connections. */
  onRequest(conn: PeerConnection, id: number, body: PeerBody): void;
}

export class PeerLinks {
  private readonly links = new Map<string, Link>();
  /** Authenticated connections of peers that are not members (bounded by maxGuestConnections). */
  private readonly guests = new Set<PeerConnection>();
  private readonly connectionOptions: ConnectionOptions;
  private readonly dialer: PeerDialer<Link>;

  constructor(private readonly deps: PeerLinksDeps) {
    const { opts } = deps;
    this.dialer = new PeerDialer<Link>({
      opts, log: deps.log, running: () => deps.running(), tls: () => deps.tls(), self: () => deps.self(), track: (ws) => deps.track(ws),
      established: (link, ws, peer) => this.establish(link, ws, peer, true),
    });
    this.connectionOptions = {
      clock: opts.clock, nextTurn: opts.nextTurn, logger: deps.log, stats: deps.stats,
      highWaterMarkBytes: opts.highWaterMarkBytes, frameTargetBytes: opts.frameTargetBytes,
      pingIntervalMs: opts.pingIntervalMs,
      maxInbound: opts.maxInboundPerConnection, maxQueuedBytes: opts.maxQueuedBytesPerConnection,
      onRequest: (c, id, body) => deps.onRequest(c, id, body),
      onClosed: (c, reason) => this.onConnectionClosed(c, reason),
    };
  }

  /** Dials started, for tests of backoff and connection reuse. */
  get dials(): number {
    return this.dialer.dials;
  }

  get size(): number {
    return this.links.size;
  }

  get guestCount(): number {
    return this.guests.size;
  }

  /** Established connections of links (any direction). */
  get connectionCount(): number {
    let n = 0;
    for (const l of this.links.values()) if (l.conn && !l.conn.closed) n++;
    return n;
  }

  peerIdAt(address: string): string | undefined {
    return this.links.get(address)?.peerId;
  }

  isConnected(address: string): boolean {
    const conn = this.links.get(address)?.conn;
    return conn !== undefined && !conn.closed;
  }

  /**
   * Sends an encoded request on the link to `address` (waiting for a connection if there is none,
   * dialing it if need be). Rejects the request at once while the link backs off after a failed
   * dial, or when too many requests wait for the peer.
   */
  send(address: string, out: Outgoing & { req: NonNullable<Outgoing['req']> }): void {
    const { opts } = this.deps;
    const link = this.link(address);
    link.lastUsedMs = opts.clock.nowMs();
    if (!link.conn) this.adoptGuest(link);
    if (!link.conn && !link.dial && opts.clock.nowMs() < link.nextDialAtMs) {
      settle(out.req, this.dialer.failureError(link, 'backing off after a failed dial'));
      return;
    }
    const held = link.conn ? (link.conn.backpressured ? link.conn.queued : 0) : link.waiting.length;
    if (held >= opts.maxQueuedPerPeer) {
      settle(out.req, new PeerOverloadedError(address, held));
      return;
    }
    if (link.conn) {
      link.conn.enqueue(out);
    } else {
      link.waiting.push(out);
      this.dialer.kick(link);
    }
  }

  /** Before any proof, at an inbound Hello: our own dial to that peer wins if our id is smaller. */
  dialingAndSmaller(peer: RemoteIdentity): boolean {
    return this.links.get(peer.address)?.dial !== undefined && this.deps.opts.nodeId < peer.id;
  }

  get guestsFull(): boolean {
    return this.guests.size >= this.deps.opts.maxGuestConnections;
  }

  /** An inbound connection whose peer proved itself: a member's serves its link, a guest's is kept apart. */
  accept(ws: WebSocket, peer: RemoteIdentity, standing: 'member' | 'guest'): void {
    if (standing === 'member') {
      this.establish(this.link(peer.address), ws, peer, false);
      return;
    }
    const conn = new PeerConnection(ws, peer, peer.address, false, this.connectionOptions);
    this.guests.add(conn);
    this.deps.log.info({ peer: peer.id, address: peer.address }, 'guest peer connected (not a member)');
  }

  /** Drops links (and guest connections) that carried nothing for linkIdleMs. */
  sweepIdle(): void {
    const now = this.deps.opts.clock.nowMs();
    const idle = (t: number) => now - t >= this.deps.opts.linkIdleMs;
    for (const [address, link] of this.links) {
      if (link.dial || link.waiting.length > 0) continue;
      const conn = link.conn;
      if (conn && !conn.closed) {
        if (!idle(Math.max(conn.lastActivityMs, link.lastUsedMs)) || conn.inflight.size > 0) continue;
        link.conn = undefined;
        conn.shutdown('idle', { code: CloseCode.GoingAway, reason: 'idle' });
      } else if (!idle(link.lastUsedMs)) {
        continue;
      }
      link.retryTimer?.cancel();
      this.links.delete(address);
    }
    for (const g of [...this.guests]) {
      if (idle(g.lastActivityMs) && g.inflight.size === 0) g.shutdown('idle', { code: CloseCode.GoingAway, reason: 'idle' });
    }
  }

  /** Closes every connection and dial, and fails every waiting request (the transport stops). */
  closeAll(reason: string): void {
    for (const g of [...this.guests]) g.shutdown(reason, 'terminate');
    for (const link of this.links.values()) {
      link.retryTimer?.cancel();
      link.dial?.abandon(reason);
      link.conn?.shutdown(reason, 'terminate');
      this.dialer.failWaiting(link, new PeerUnavailableError(link.address, reason));
    }
  }

  private link(address: string): Link {
    let link = this.links.get(address);
    if (!link) {
      link = { address, waiting: [], failures: 0, nextDialAtMs: 0, lastUsedMs: this.deps.opts.clock.nowMs() };
      this.links.set(address, link);
    }
    return link;
  }

  /**
   * A guest connection from the member now expected at this address (it became a member since
   * it connected) serves the link instead of a second connection.
   */
  private adoptGuest(link: Link): void {
    const expected = this.deps.opts.expectedIdAt(link.address);
    if (expected === undefined) return;
    for (const g of this.guests) {
      if (g.closed || g.address !== link.address || g.peer.id !== expected) continue;
      this.guests.delete(g);
      link.conn = g;
      link.peerId = g.peer.id;
      return;
    }
  }

  private establish(link: Link, ws: WebSocket, peer: RemoteIdentity, dialedByUs: boolean): void {
    const { opts, log } = this.deps;
    const old = link.conn && !link.conn.closed ? link.conn : undefined;
    if (old && old.dialedByUs !== dialedByUs) {
      // Both dials got through: both sides keep the one dialed by the smaller id.
      const dialerOfNew = dialedByUs ? opts.nodeId : peer.id;
      const dialerOfOld = dialedByUs ? peer.id : opts.nodeId;
      if (dialerOfOld < dialerOfNew) {
        ws.close(CloseCode.Duplicate, 'duplicate: keeping the connection dialed by the smaller id');
        return;
      }
    }
    const conn = new PeerConnection(ws, peer, link.address, dialedByUs, this.connectionOptions);
    link.conn = conn;
    link.peerId = peer.id;
    this.dialer.connected(link);
    // The peer dialed again, so it considers the old connection dead.
    old?.shutdown('replaced by a new connection', { code: CloseCode.Duplicate, reason: 'replaced by a new connection' });
    log.info({ peer: peer.id, address: link.address, dialedByUs }, 'peer connected');
    const waiting = link.waiting;
    link.waiting = [];
    for (const out of waiting) if (!out.req?.done) conn.enqueue(out);
  }

  private onConnectionClosed(conn: PeerConnection, reason: string): void {
    if (this.guests.delete(conn)) return;
    const link = this.links.get(conn.address);
    if (!link || link.conn !== conn) return;
    link.conn = undefined;
    if (this.deps.running()) this.deps.log.info({ peer: conn.peer.id, address: link.address, reason }, 'peer disconnected');
    this.dialer.kick(link);
  }
}
