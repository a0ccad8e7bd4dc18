// The peer transport over WebSocket (docs/design.md "Peer protocol"). One connection per peer pair,
// dialed lazily by whichever side first has something to send; requests flow both ways over it.
// Per peer address a link keeps the connection, the dial in progress, the requests waiting for a
// connection, and the reconnect backoff. When both sides dial at once, the side with the smaller
// id refuses the other's dial at its Hello (a refusal acts on nothing the Hello claims), and if
// both connections get through anyway, each side keeps the one dialed by the smaller node id.
//
// Nothing unproven changes state: an inbound connection creates or touches a link only once its
// proof checked out, and only for a member (classify); guests (a node asking to join) get a
// bounded number of connections of their own. Before that, a connection may send at most
// PRE_AUTH_BYTES_MAX bytes, handshake frames are capped before they are decoded, and at most
// maxPendingHandshakes connections handshake at once. Links idle for linkIdleMs are dropped.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { TimerHandle } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import { backoffDelayMs } from './backoff.js';
import { CloseCode, MessageKind, encodeMessage, errorReplyOf } from './frame-codec.js';
import { AcceptorHandshake, DialerHandshake, type RemoteIdentity } from './handshake.js';
import { invokeHandler, type HandlerOutcome } from './invoke-handler.js';
import { PeerConnection, settle, type Outgoing, type PendingRequest, type TransportStats } from './peer-connection.js';
import { HandshakeSlots, PRE_AUTH_BYTES_MAX, capBytes } from './pre-auth-guard.js';
import { channelBinding, clientTlsOptions, readPeerTls, serverTlsOptions, type PeerTlsMaterial } from './peer-tls.js';
import { PeerHandshakeError, PeerMessageTooLargeError, PeerOverloadedError, PeerReplyUnencodableError, PeerTimeoutError, PeerUnavailableError, type PeerError } from './peer-errors.js';
import { requestSelf } from './self-request.js';
import { openSocket, type SocketStep } from './socket-handshake.js';
import type { PeerBody, PeerHandler, PeerTransport } from './transport.js';
import { resolveWsTransportOptions, type ResolvedWsTransportOptions, type WsTransportOptions } from './ws-transport-options.js';

export type { WsTransportOptions } from './ws-transport-options.js';

const zeroMask = (mask: Buffer): void => {
  mask.fill(0);
};

interface Link {
  address: string;
  conn?: PeerConnection;
  /** Our dial in progress; `abandon` drops it without failing the waiting requests. */
  dial?: { abandon(reason: string): void };
  /** Requests waiting for a connection. */
  waiting: Outgoing[];
  failures: number;
  nextDialAtMs: number;
  lastFailure?: { refused: boolean; reason: string };
  peerId?: string;
  retryTimer?: TimerHandle;
  /** Clock time of the last request through this link. */
  lastUsedMs: number;
}

export class WsTransport implements PeerTransport {
  readonly stats: TransportStats = { framesSent: 0, framesReceived: 0, messagesSent: 0, messagesReceived: 0, bytesSent: 0 };
  /** Dials started, for tests of backoff and connection reuse. */
  dials = 0;
  private readonly opts: ResolvedWsTransportOptions;
  private readonly log: Logger;
  private readonly links = new Map<string, Link>();
  /** Authenticated connections of peers that are not members (bounded by maxGuestConnections). */
  private readonly guests = new Set<PeerConnection>();
  private readonly handshakes: HandshakeSlots;
  private sweepTimer?: TimerHandle;
  /** The peer port's TLS material when it runs mutual TLS (re-read by reloadTls). */
  private tls?: PeerTlsMaterial;
  private secrets: { secret: string; acceptedSecrets: readonly string[] };
  private tcpSockets = 0;
  private readonly sockets = new Map<WebSocket, Promise<void>>();
  private readonly localPending = new Set<PendingRequest>();
  private handler?: PeerHandler;
  private httpServer?: http.Server;
  private wss?: WebSocketServer;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private stopping?: Promise<void>;
  private nextId = 1;
  /** This node's peer address; an advertised port 0 becomes the bound port at start. */
  private advertise: string;

  constructor(options: WsTransportOptions) {
    this.opts = resolveWsTransportOptions(options);
    this.log = this.opts.logger;
    this.advertise = this.opts.advertise;
    this.handshakes = new HandshakeSlots(this.opts.maxPendingHandshakes);
    this.secrets = { secret: this.opts.secret, acceptedSecrets: this.opts.acceptedSecrets };
    if (this.opts.tls) this.tls = readPeerTls(this.opts.tls);
  }

  /** Whether the peer port runs mutual TLS. */
  get secure(): boolean {
    return this.tls !== undefined;
  }

  /** Re-reads the TLS files (SIGHUP): new connections use them. Throws, keeping the old, on a bad file. */
  reloadTls(): boolean {
    if (!this.opts.tls) return false;
    const next = readPeerTls(this.opts.tls);
    if (this.httpServer instanceof https.Server) this.httpServer.setSecureContext(serverTlsOptions(next));
    this.tls = next;
    return true;
  }

  /** Replaces the secrets (a rotation: the new one first, the old still accepted until removed). */
  setSecrets(secret: string, acceptedSecrets: readonly string[] = []): void {
    this.secrets = { secret, acceptedSecrets };
  }

  /** Links held (for tests of link lifetime). */
  get linkCount(): number {
    return this.links.size;
  }

  /** Guest connections open. */
  get guestCount(): number {
    return this.guests.size;
  }

  /** Connections refused because too many were handshaking. */
  get handshakesRefused(): number {
    return this.handshakes.refused;
  }

  /** The address peers dial this node at (after start, with a port 0 resolved). */
  get advertisedAddress(): string {
    return this.advertise;
  }

  /** The port actually bound (useful with listen port 0). */
  get boundPort(): number {
    const a = this.httpServer?.address() as AddressInfo | null | undefined;
    if (!a) throw new Error('the peer transport is not listening');
    return a.port;
  }

  /** The number of open connections (established, any direction). */
  get connectionCount(): number {
    let n = 0;
    for (const l of this.links.values()) if (l.conn && !l.conn.closed) n++;
    return n;
  }

  /** Sockets open right now, including those still in their handshake or closing. */
  get openSockets(): number {
    return this.sockets.size;
  }

  setHandler(handler: PeerHandler): void {
    this.handler = handler;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`cannot start a peer transport that is ${this.state}`);
    const onPlain = (_req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('ringkv peer port: WebSocket only\n');
    };
    // The upgrade request is a few hundred bytes: no peer needs long to send it.
    const limits = { headersTimeout: this.opts.connectTimeoutMs * 5, requestTimeout: this.opts.connectTimeoutMs * 5 };
    const server = this.tls ? https.createServer({ ...limits, ...serverTlsOptions(this.tls), handshakeTimeout: this.opts.connectTimeoutMs * 5 }, onPlain) : http.createServer(limits, onPlain);
    server.on('connection', (socket: Socket) => {
      if (this.tcpSockets >= this.opts.maxConnections) {
        socket.destroy();
        return;
      }
      this.tcpSockets++;
      socket.once('close', () => { this.tcpSockets--; });
    });
    // A TLS client that fails the handshake (no certificate, another CA) never reaches a handler.
    server.on('tlsClientError', (err: Error, socket: Socket) => {
      this.log.warn({ remote: socket.remoteAddress ?? null, err: err.message }, 'peer TLS handshake refused');
      socket.destroy();
    });
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.opts.maxFrameBytes, perMessageDeflate: false, clientTracking: false });
    server.on('upgrade', (req, socket, head) => {
      if (this.state !== 'running') {
        socket.destroy();
        return;
      }
      const release = this.handshakes.take();
      if (!release) {
        socket.destroy();
        return;
      }
      socket.once('close', release);
      let stopCounting: (() => void) | undefined;
      const binding = channelBinding(socket);
      wss.handleUpgrade(req, socket, head, (ws) => this.onInbound(ws, () => {
        release();
        stopCounting?.();
      }, binding));
      // handleUpgrade hands the socket to ws in this same turn: nothing arrives uncounted.
      stopCounting = capBytes(socket, PRE_AUTH_BYTES_MAX);
    });
    this.httpServer = server;
    this.wss = wss;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.listen.port, this.opts.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (this.advertise.endsWith(':0')) this.advertise = `${this.advertise.slice(0, -2)}:${this.boundPort}`;
    this.state = 'running';
    this.scheduleSweep();
    this.log.info({ port: this.boundPort, advertise: this.advertise }, 'peer transport listening');
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  peerIdAt(address: string): string | undefined {
    if (address === this.advertise) return this.opts.nodeId;
    return this.links.get(address)?.peerId;
  }

  isConnected(address: string): boolean {
    if (address === this.advertise) return this.state === 'running';
    const conn = this.links.get(address)?.conn;
    return conn !== undefined && !conn.closed;
  }

  request(address: string, body: PeerBody, timeoutMs: number): Promise<PeerBody> {
    if (this.state !== 'running') return Promise.reject(new PeerUnavailableError(address, `the peer transport is ${this.state}`));
    if (address === this.advertise) {
      return requestSelf({ id: this.opts.nodeId, address }, this.handler, this.opts, this.localPending, body, timeoutMs);
    }
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    let bytes: Buffer;
    try {
      bytes = encodeMessage(MessageKind.Request, id, body);
    } catch (err) {
      return Promise.reject(err);
    }
    if (bytes.length >= this.opts.maxFrameBytes) return Promise.reject(new PeerMessageTooLargeError(address, bytes.length, this.opts.maxFrameBytes));
    const link = this.link(address);
    link.lastUsedMs = this.opts.clock.nowMs();
    if (!link.conn) this.adoptGuest(link);
    if (!link.conn && !link.dial && this.opts.clock.nowMs() < link.nextDialAtMs) {
      return Promise.reject(this.failureError(link, 'backing off after a failed dial'));
    }
    const held = link.conn ? (link.conn.backpressured ? link.conn.queued : 0) : link.waiting.length;
    if (held >= this.opts.maxQueuedPerPeer) return Promise.reject(new PeerOverloadedError(address, held));
    return new Promise<PeerBody>((resolve, reject) => {
      const req: PendingRequest = { id, address, resolve, reject, done: false };
      req.timer = this.opts.clock.setTimer(timeoutMs, () => settle(req, new PeerTimeoutError(address, timeoutMs)));
      if (link.conn) {
        link.conn.enqueue({ bytes, req });
      } else {
        link.waiting.push({ bytes, req });
        this.kick(link);
      }
    });
  }

  // ---- links and dialing ----

  private link(address: string): Link {
    let link = this.links.get(address);
    if (!link) {
      link = { address, waiting: [], failures: 0, nextDialAtMs: 0, lastUsedMs: this.opts.clock.nowMs() };
      this.links.set(address, link);
    }
    return link;
  }

  /**
   * A guest connection from the member now expected at this address (it became a member since
   * it connected) serves the link instead of a second connection.
   */
  private adoptGuest(link: Link): void {
    const expected = this.opts.expectedIdAt(link.address);
    if (expected === undefined) return;
    for (const g of this.guests) {
      if (g.closed || g.address !== link.address || g.peer.id !== expected) continue;
      this.guests.delete(g);
      link.conn = g;
      link.peerId = g.peer.id;
      return;
    }
  }

  /** Makes sure something is under way to carry the link's waiting requests. */
  private kick(link: Link): void {
    if (this.state !== 'running' || link.conn || link.dial) return;
    if (link.waiting.length === 0) return;
    if (this.opts.clock.nowMs() < link.nextDialAtMs) {
      this.failWaiting(link, this.failureError(link, 'backing off after a failed dial'));
      return;
    }
    this.dial(link);
  }

  private dial(link: Link): void {
    this.dials++;
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${this.tls ? 'wss' : 'ws'}://${link.address}/`, {
        perMessageDeflate: false, maxPayload: this.opts.maxFrameBytes, followRedirects: false,
        // An all-zero mask lets ws skip XOR-ing every byte: masking guards browser-facing proxies
        // against cache poisoning, which does not apply between two nodes of a cluster.
        generateMask: zeroMask,
        // ws types checkServerIdentity as returning a boolean; tls.connect wants undefined for "fine".
        ...(this.tls ? (clientTlsOptions(this.tls) as unknown as WebSocket.ClientOptions) : {}),
      });
    } catch (err) {
      // A malformed address: fail like an unreachable peer (with backoff), not with a throw.
      this.onDialOutcome(link, undefined, { kind: 'failed', reason: `cannot dial: ${(err as Error).message}` });
      return;
    }
    this.track(ws);
    let stopCounting: (() => void) | undefined;
    const hs = new DialerHandshake(this.self(), (frame) => ws.send(frame), this.opts.expectedIdAt(link.address));
    // The acceptor is not proven before its Challenge either: its bytes are capped alike.
    ws.once('upgrade', (res) => {
      stopCounting = capBytes(res.socket, PRE_AUTH_BYTES_MAX);
      hs.bindChannel(channelBinding(res.socket));
    });
    ws.once('open', () => hs.start());
    const step = openSocket(ws, this.opts.clock, this.opts.connectTimeoutMs, (frame) => hs.onFrame(frame), (outcome) => {
      stopCounting?.();
      this.onDialOutcome(link, ws, outcome);
    });
    link.dial = { abandon: (reason) => step.abandon(reason) };
  }

  private onDialOutcome(link: Link, ws: WebSocket | undefined, outcome: SocketStep): void {
    link.dial = undefined;
    switch (outcome.kind) {
      case 'established':
        this.establish(link, ws!, outcome.peer, true);
        return;
      case 'abandoned':
        return; // an inbound connection from the same peer carries the waiting requests
      case 'duplicate':
        // The peer keeps its own dial to us; wait for it, and dial again if it never comes.
        link.retryTimer?.cancel();
        link.retryTimer = this.opts.clock.setTimer(this.opts.backoffBaseMs * 4, () => {
          link.retryTimer = undefined;
          this.kick(link);
        });
        return;
      case 'refused':
      case 'failed': {
        const refused = outcome.kind === 'refused';
        if (refused) this.log.warn({ address: link.address, reason: outcome.reason, by: outcome.byPeer ? 'peer' : 'us' }, 'peer handshake refused');
        else this.log.debug({ address: link.address, reason: outcome.reason }, 'peer dial failed');
        link.failures++;
        const delayMs = backoffDelayMs(link.failures, { baseMs: this.opts.backoffBaseMs, maxMs: this.opts.backoffMaxMs }, this.opts.random);
        link.nextDialAtMs = this.opts.clock.nowMs() + delayMs;
        link.lastFailure = { refused, reason: outcome.reason };
        this.failWaiting(link, this.failureError(link));
        return;
      }
    }
  }

  private failureError(link: Link, context?: string): PeerError {
    const f = link.lastFailure ?? { refused: false, reason: 'not connected' };
    const reason = context ? `${f.reason} (${context})` : f.reason;
    return f.refused ? new PeerHandshakeError(link.address, reason) : new PeerUnavailableError(link.address, reason);
  }

  private failWaiting(link: Link, err: PeerError): void {
    const waiting = link.waiting;
    link.waiting = [];
    for (const out of waiting) if (out.req) settle(out.req, err);
  }

  // ---- inbound ----

  private onInbound(ws: WebSocket, handshakeOver: () => void, binding: Uint8Array | undefined): void {
    this.track(ws);
    let standing: 'member' | 'guest' = 'member';
    const hs = new AcceptorHandshake(
      this.self(),
      (frame) => ws.send(frame),
      // Before any proof: only a refusal, which acts on nothing the Hello claims.
      (peer) => {
        const link = this.links.get(peer.address);
        if (link?.dial && this.opts.nodeId < peer.id) return { code: CloseCode.Duplicate, reason: 'duplicate: keeping the connection dialed by the smaller id' };
        return undefined;
      },
      // Proven: what the peer may be to this node.
      (peer) => {
        const s = this.opts.classify(peer);
        if (typeof s === 'object') return { code: CloseCode.HandshakeRefused, reason: s.refuse };
        if (s === 'guest' && this.guests.size >= this.opts.maxGuestConnections) {
          return { code: CloseCode.HandshakeRefused, reason: `too many connections of nodes that are not members (${this.guests.size})` };
        }
        standing = s;
        return undefined;
      },
      binding,
    );
    openSocket(ws, this.opts.clock, this.opts.connectTimeoutMs, (frame) => hs.onFrame(frame), (outcome) => {
      handshakeOver();
      if (outcome.kind === 'established') {
        if (this.state !== 'running') ws.terminate();
        else if (standing === 'guest') this.addGuest(ws, outcome.peer);
        else this.establish(this.link(outcome.peer.address), ws, outcome.peer, false);
        return;
      }
      if (outcome.kind === 'refused') {
        this.log.warn({ from: hs.claimedPeer ?? null, reason: outcome.reason, by: outcome.byPeer ? 'peer' : 'us' }, 'peer handshake refused');
      }
    });
  }

  private connectionOptions() {
    return {
      clock: this.opts.clock, nextTurn: this.opts.nextTurn, logger: this.log, stats: this.stats,
      highWaterMarkBytes: this.opts.highWaterMarkBytes, frameTargetBytes: this.opts.frameTargetBytes,
      pingIntervalMs: this.opts.pingIntervalMs,
      maxInbound: this.opts.maxInboundPerConnection, maxQueuedBytes: this.opts.maxQueuedBytesPerConnection,
      onRequest: (c: PeerConnection, id: number, body: PeerBody) => this.onRequest(c, id, body),
      onClosed: (c: PeerConnection, reason: string) => this.onConnectionClosed(c, reason),
    };
  }

  private addGuest(ws: WebSocket, peer: RemoteIdentity): void {
    const conn = new PeerConnection(ws, peer, peer.address, false, this.connectionOptions());
    this.guests.add(conn);
    this.log.info({ peer: peer.id, address: peer.address }, 'guest peer connected (not a member)');
  }

  private establish(link: Link, ws: WebSocket, peer: RemoteIdentity, dialedByUs: boolean): void {
    const old = link.conn && !link.conn.closed ? link.conn : undefined;
    if (old && old.dialedByUs !== dialedByUs) {
      // Both dials got through: both sides keep the one dialed by the smaller id.
      const dialerOfNew = dialedByUs ? this.opts.nodeId : peer.id;
      const dialerOfOld = dialedByUs ? peer.id : this.opts.nodeId;
      if (dialerOfOld < dialerOfNew) {
        ws.close(CloseCode.Duplicate, 'duplicate: keeping the connection dialed by the smaller id');
        return;
      }
    }
    const conn = new PeerConnection(ws, peer, link.address, dialedByUs, this.connectionOptions());
    link.conn = conn;
    link.peerId = peer.id;
    link.failures = 0;
    link.nextDialAtMs = 0;
    link.lastFailure = undefined;
    link.retryTimer?.cancel();
    link.retryTimer = undefined;
    // The peer dialed again, so it considers the old connection dead.
    old?.shutdown('replaced by a new connection', { code: CloseCode.Duplicate, reason: 'replaced by a new connection' });
    this.log.info({ peer: peer.id, address: link.address, dialedByUs }, 'peer connected');
    const waiting = link.waiting;
    link.waiting = [];
    for (const out of waiting) if (!out.req?.done) conn.enqueue(out);
  }

  private onConnectionClosed(conn: PeerConnection, reason: string): void {
    if (this.guests.delete(conn)) return;
    const link = this.links.get(conn.address);
    if (!link || link.conn !== conn) return;
    link.conn = undefined;
    if (this.state === 'running') this.log.info({ peer: conn.peer.id, address: link.address, reason }, 'peer disconnected');
    this.kick(link);
  }

  private onRequest(conn: PeerConnection, id: number, body: PeerBody): void {
    invokeHandler(this.handler, conn.peer, body, (outcome) => {
      if (conn.closed) return;
      conn.reply(this.encodeReply(id, outcome));
    });
  }

  // ---- idle links ----

  private scheduleSweep(): void {
    if (this.state !== 'running') return;
    this.sweepTimer = this.opts.clock.setTimer(Math.min(30_000, this.opts.linkIdleMs / 2), () => {
      this.sweepIdle();
      this.scheduleSweep();
    });
  }

  /** Drops links (and guest connections) that carried nothing for linkIdleMs. */
  sweepIdle(): void {
    const now = this.opts.clock.nowMs();
    const idle = (t: number) => now - t >= this.opts.linkIdleMs;
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

  private encodeReply(id: number, outcome: HandlerOutcome): Buffer {
    try {
      const bytes = outcome.ok ? encodeMessage(MessageKind.Reply, id, outcome.body) : encodeMessage(MessageKind.ErrorReply, id, outcome.error);
      if (bytes.length < this.opts.maxFrameBytes) return bytes;
      return encodeMessage(MessageKind.ErrorReply, id, { code: PeerMessageTooLargeError.code, message: `reply of ${bytes.length} bytes exceeds the frame limit` });
    } catch (err) {
      return encodeMessage(MessageKind.ErrorReply, id, errorReplyOf(new PeerReplyUnencodableError((err as Error).message ?? String(err))));
    }
  }

  // ---- lifecycle helpers ----

  private self(): { id: string; address: string; secret: string; acceptedSecrets: readonly string[] } {
    return { id: this.opts.nodeId, address: this.advertise, ...this.secrets };
  }

  private track(ws: WebSocket): void {
    // ws emits 'error' before 'close'; an unhandled 'error' event would crash the process.
    ws.on('error', () => undefined);
    this.sockets.set(ws, new Promise<void>((resolve) => ws.once('close', () => {
      this.sockets.delete(ws);
      resolve();
    })));
  }

  private async doStop(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    this.sweepTimer?.cancel();
    for (const g of [...this.guests]) g.shutdown('the peer transport stopped', 'terminate');
    for (const link of this.links.values()) {
      link.retryTimer?.cancel();
      link.dial?.abandon('the peer transport stopped');
      link.conn?.shutdown('the peer transport stopped', 'terminate');
      this.failWaiting(link, new PeerUnavailableError(link.address, 'the peer transport stopped'));
    }
    for (const req of this.localPending) settle(req, new PeerUnavailableError(req.address, 'the peer transport stopped'));
    this.localPending.clear();
    const closed = [...this.sockets.values()];
    for (const ws of this.sockets.keys()) ws.terminate();
    await Promise.all(closed);
    const server = this.httpServer;
    if (server) {
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await done;
    }
    this.wss?.close();
    if (wasRunning) this.log.info('peer transport stopped');
  }
}
