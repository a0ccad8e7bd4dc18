// The peer transport over WebSocket (docs/design.md "Peer protocol"): the lifecycle, and the parts
// it wires together: the listener (peer-listener.ts), the inbound handshake (peer-acceptor.ts),
// the links, their dials and the guests (peer-links.ts, peer-dialer.ts), requests and replies
// (peer-requests.ts). One connection per peer pair, dialed lazily by whichever side first has
// something to send; requests flow both ways over it. When both sides dial at once, the side with
// the smaller id refuses the other's dial at its Hello (a refusal acts on nothing the Hello claims).
// Nothing unproven changes state (peer-acceptor.ts). Links idle for linkIdleMs are dropped.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type WebSocket from 'ws';
import type { WebSocketServer } from 'ws';
import type { TimerHandle } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import { settle, type PendingRequest, type TransportStats } from './peer-connection.js';
import { PeerAcceptor } from './peer-acceptor.js';
import { PeerLinks } from './peer-links.js';
import { PeerRequests } from './peer-requests.js';
import { HandshakeSlots } from './pre-auth-guard.js';
import { createPeerServer } from './peer-listener.js';
import { readPeerTls, serverTlsOptions, type PeerTlsMaterial } from './peer-tls.js';
import { PeerUnavailableError } from './peer-errors.js';
import { requestSelf } from './self-request.js';
import type { PeerBody, PeerHandler, PeerTransport } from './transport.js';
import { resolveWsTransportOptions, type ResolvedWsTransportOptions, type WsTransportOptions } from './ws-transport-options.js';

export type { WsTransportOptions } from './ws-transport-options.js';

export class WsTransport implements PeerTransport {
  readonly stats: TransportStats = { framesSent: 0, framesReceived: 0, messagesSent: 0, messagesReceived: 0, bytesSent: 0 };
  private readonly opts: ResolvedWsTransportOptions;
  private readonly log: Logger;
  private readonly links: PeerLinks;
  private readonly acceptor: PeerAcceptor;
  private readonly requests: PeerRequests;
  private readonly handshakes: HandshakeSlots;
  private sweepTimer?: TimerHandle;
  /** The peer port's TLS material when it runs mutual TLS (re-read by reloadTls). */
  private tls?: PeerTlsMaterial;
  private secrets: { secret: string; acceptedSecrets: readonly string[] };
  private readonly sockets = new Map<WebSocket, Promise<void>>();
  private readonly localPending = new Set<PendingRequest>();
  private handler?: PeerHandler;
  private httpServer?: http.Server;
  private wss?: WebSocketServer;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private stopping?: Promise<void>;
  /** This node's peer address; an advertised port 0 becomes the bound port at start. */
  private advertise: string;

  constructor(options: WsTransportOptions) {
    this.opts = resolveWsTransportOptions(options);
    this.log = this.opts.logger;
    this.advertise = this.opts.advertise;
    this.handshakes = new HandshakeSlots(this.opts.maxPendingHandshakes);
    this.secrets = { secret: this.opts.secret, acceptedSecrets: this.opts.acceptedSecrets };
    if (this.opts.tls) this.tls = readPeerTls(this.opts.tls);
    this.links = new PeerLinks({
      opts: this.opts, log: this.log, stats: this.stats,
      running: () => this.state === 'running', tls: () => this.tls, self: () => this.self(), track: (ws) => this.track(ws),
      onRequest: (c, id, body) => this.requests.serve(c, id, body),
    });
    this.acceptor = new PeerAcceptor({
      opts: this.opts, log: this.log, links: this.links,
      running: () => this.state === 'running', self: () => this.self(), track: (ws) => this.track(ws),
    });
    this.requests = new PeerRequests({ opts: this.opts, handler: () => this.handler, send: (address, out) => this.links.send(address, out) });
  }

  /** Dials started, for tests of backoff and connection reuse. */
  get dials(): number {
    return this.links.dials;
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
    return this.links.guestCount;
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
    return this.links.connectionCount;
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
    const { server, wss } = createPeerServer({
      tls: this.tls, connectTimeoutMs: this.opts.connectTimeoutMs, maxConnections: this.opts.maxConnections,
      maxFrameBytes: this.opts.maxFrameBytes, log: this.log,
      accepting: () => this.state === 'running', takeHandshakeSlot: () => this.handshakes.take(),
      onSocket: (ws, handshakeOver, binding) => this.acceptor.accept(ws, handshakeOver, binding),
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
    return this.links.peerIdAt(address);
  }

  isConnected(address: string): boolean {
    if (address === this.advertise) return this.state === 'running';
    return this.links.isConnected(address);
  }

  request(address: string, body: PeerBody, timeoutMs: number): Promise<PeerBody> {
    if (this.state !== 'running') return Promise.reject(new PeerUnavailableError(address, `the peer transport is ${this.state}`));
    if (address === this.advertise) {
      return requestSelf({ id: this.opts.nodeId, address }, this.handler, this.opts, this.localPending, body, timeoutMs);
    }
    return this.requests.request(address, body, timeoutMs);
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
    this.links.sweepIdle();
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
    this.links.closeAll('the peer transport stopped');
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
