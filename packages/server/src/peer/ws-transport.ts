// The peer transport over WebSocket (DESIGN.md "Peer protocol"). One connection per peer pair,
// dialed lazily by whichever side first has something to send; requests flow both ways over it.
// Per peer address a link keeps the connection, the dial or inbound handshake in progress, the
// requests waiting for a connection, and the reconnect backoff. When both sides dial at once,
// each side keeps the connection dialed by the smaller node id and closes the other before either
// sends a request on it, so no request is lost or sent twice.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { TimerHandle } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import { backoffDelayMs } from './backoff.js';
import { CloseCode, MessageKind, encodeMessage } from './frame-codec.js';
import { AcceptorHandshake, DialerHandshake, type RemoteIdentity } from './handshake.js';
import { invokeHandler, type HandlerOutcome } from './invoke-handler.js';
import { PeerConnection, settle, type Outgoing, type PendingRequest, type TransportStats } from './peer-connection.js';
import { PeerHandshakeError, PeerMessageTooLargeError, PeerOverloadedError, PeerTimeoutError, PeerUnavailableError, type PeerError } from './peer-errors.js';
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
  /** An inbound handshake from this peer in progress (after its Hello). */
  accepting?: { abandon(reason: string): void };
  /** Requests waiting for a connection. */
  waiting: Outgoing[];
  failures: number;
  nextDialAtMs: number;
  lastFailure?: { refused: boolean; reason: string };
  peerId?: string;
  retryTimer?: TimerHandle;
}

export class WsTransport implements PeerTransport {
  readonly stats: TransportStats = { framesSent: 0, framesReceived: 0, messagesSent: 0, messagesReceived: 0, bytesSent: 0 };
  /** Dials started, for tests of backoff and connection reuse. */
  dials = 0;
  private readonly opts: ResolvedWsTransportOptions;
  private readonly log: Logger;
  private readonly links = new Map<string, Link>();
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
    const server = http.createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('ringkv peer port: WebSocket only\n');
    });
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.opts.maxFrameBytes, perMessageDeflate: false, clientTracking: false });
    server.on('upgrade', (req, socket, head) => {
      if (this.state !== 'running') {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.onInbound(ws));
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
      return requestSelf({ id: this.opts.nodeId, address }, this.handler, this.opts.clock, this.localPending, body, timeoutMs);
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
    if (!link.conn && !link.dial && !link.accepting && this.opts.clock.nowMs() < link.nextDialAtMs) {
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
      link = { address, waiting: [], failures: 0, nextDialAtMs: 0 };
      this.links.set(address, link);
    }
    return link;
  }

  /** Makes sure something is under way to carry the link's waiting requests. */
  private kick(link: Link): void {
    if (this.state !== 'running' || link.conn || link.dial || link.accepting) return;
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
      ws = new WebSocket(`ws://${link.address}/`, {
        perMessageDeflate: false, maxPayload: this.opts.maxFrameBytes, followRedirects: false,
        // An all-zero mask lets ws skip XOR-ing every byte: masking guards browser-facing proxies
        // against cache poisoning, which does not apply between two nodes of a cluster.
        generateMask: zeroMask,
      });
    } catch (err) {
      // A malformed address: fail like an unreachable peer (with backoff), not with a throw.
      this.onDialOutcome(link, undefined, { kind: 'failed', reason: `cannot dial: ${(err as Error).message}` });
      return;
    }
    this.track(ws);
    const hs = new DialerHandshake(this.self(), (frame) => ws.send(frame));
    ws.once('open', () => hs.start());
    const step = openSocket(ws, this.opts.clock, this.opts.connectTimeoutMs, (frame) => hs.onFrame(frame), (outcome) => this.onDialOutcome(link, ws, outcome));
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

  private onInbound(ws: WebSocket): void {
    this.track(ws);
    let link: Link | undefined;
    let handle: { abandon(reason: string): void } | undefined;
    const hs = new AcceptorHandshake(this.self(), (frame) => ws.send(frame), (peer) => {
      link = this.link(peer.address);
      if (link.dial) {
        if (this.opts.nodeId < peer.id) return { code: CloseCode.Duplicate, reason: 'duplicate: keeping the connection dialed by the smaller id' };
        link.dial.abandon('duplicate: the peer with the smaller id dialed too');
      }
      // Take the slot first: abandoning the older handshake must not start a dial meanwhile.
      const older = link.accepting;
      link.accepting = handle;
      older?.abandon('replaced by a newer inbound connection');
      return undefined;
    });
    const step = openSocket(ws, this.opts.clock, this.opts.connectTimeoutMs, (frame) => hs.onFrame(frame), (outcome) => {
      const l = link;
      if (l && l.accepting === handle) l.accepting = undefined;
      if (outcome.kind === 'established') {
        this.establish(l!, ws, outcome.peer, false);
        return;
      }
      if (outcome.kind === 'refused') {
        this.log.warn({ from: hs.claimedPeer, reason: outcome.reason, by: outcome.byPeer ? 'peer' : 'us' }, 'peer handshake refused');
      }
      if (l) this.kick(l);
    });
    handle = { abandon: (reason) => step.abandon(reason) };
  }

  private establish(link: Link, ws: WebSocket, peer: RemoteIdentity, dialedByUs: boolean): void {
    const old = link.conn;
    const conn = new PeerConnection(ws, peer, link.address, dialedByUs, {
      clock: this.opts.clock, logger: this.log, stats: this.stats,
      highWaterMarkBytes: this.opts.highWaterMarkBytes, frameTargetBytes: this.opts.frameTargetBytes,
      pingIntervalMs: this.opts.pingIntervalMs,
      onRequest: (c, id, body) => this.onRequest(c, id, body),
      onClosed: (c, reason) => this.onConnectionClosed(c, reason),
    });
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
    const link = this.links.get(conn.address);
    if (!link || link.conn !== conn) return;
    link.conn = undefined;
    if (this.state === 'running') this.log.info({ peer: conn.peer.id, address: link.address, reason }, 'peer disconnected');
    this.kick(link);
  }

  private onRequest(conn: PeerConnection, id: number, body: PeerBody): void {
    invokeHandler(this.handler, conn.peer, body, (outcome) => {
      if (conn.closed) return;
      conn.enqueue({ bytes: this.encodeReply(id, outcome) });
    });
  }

  private encodeReply(id: number, outcome: HandlerOutcome): Buffer {
    try {
      const bytes = outcome.ok ? encodeMessage(MessageKind.Reply, id, outcome.body) : encodeMessage(MessageKind.ErrorReply, id, outcome.error);
      if (bytes.length < this.opts.maxFrameBytes) return bytes;
      return encodeMessage(MessageKind.ErrorReply, id, { code: 'PEER_MESSAGE_TOO_LARGE', message: `reply of ${bytes.length} bytes exceeds the frame limit` });
    } catch (err) {
      return encodeMessage(MessageKind.ErrorReply, id, { code: 'PEER_REPLY_UNENCODABLE', message: (err as Error).message ?? String(err) });
    }
  }

  // ---- lifecycle helpers ----

  private self(): { id: string; address: string; secret: string } {
    return { id: this.opts.nodeId, address: this.advertise, secret: this.opts.secret };
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
    for (const link of this.links.values()) {
      link.retryTimer?.cancel();
      link.dial?.abandon('the peer transport stopped');
      link.accepting?.abandon('the peer transport stopped');
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
