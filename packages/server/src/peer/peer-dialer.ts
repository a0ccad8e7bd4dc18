// Dialing the links of the WebSocket transport (peer-links.ts): a dial and its handshake as the
// dialer, and the reconnect backoff. A link is dialed only when requests wait for it; after a
// failed dial or a refused handshake the link backs off (backoff.ts), and the requests waiting on
// it, and any sent to it meanwhile, fail at once with the reason of the last failure.
import WebSocket from 'ws';
import type { Logger } from '../observability/logger.js';
import type { TimerHandle } from '../clock.js';
import { backoffDelayMs } from './backoff.js';
import { DialerHandshake, type LocalIdentity, type RemoteIdentity } from './handshake.js';
import type { Outgoing } from './outbox.js';
import { settle, type PeerConnection } from './peer-connection.js';
import { PeerHandshakeError, PeerUnavailableError, type PeerError } from './peer-errors.js';
import { PRE_AUTH_BYTES_MAX, capBytes } from './pre-auth-guard.js';
import { channelBinding, clientTlsOptions, type PeerTlsMaterial } from './peer-tls.js';
import { openSocket, type SocketStep } from './socket-handshake.js';
import type { ResolvedWsTransportOptions } from './ws-transport-options.js';

const zeroMask = (mask: Buffer): void => {
  mask.fill(0);
};

/** What the dialer reads and writes on a link: its connection, our dial, the waiting requests, the backoff. */
export interface DialedLink {
  address: string;
  conn?: PeerConnection;
  /** Our dial in progress; `abandon` drops it without failing the waiting requests. */
  dial?: { abandon(reason: string): void };
  /** Requests waiting for a connection. */
  waiting: Outgoing[];
  failures: number;
  nextDialAtMs: number;
  lastFailure?: { refused: boolean; reason: string };
  retryTimer?: TimerHandle;
}

export interface PeerDialerDeps<L extends DialedLink> {
  opts: ResolvedWsTransportOptions;
  log: Logger;
  /** Whether the transport is running (no dial otherwise). */
  running(): boolean;
  /** The peer port's TLS material, when it runs mutual TLS. */
  tls(): PeerTlsMaterial | undefined;
  /** This node's identity and secrets, as the handshake proves them. */
  self(): LocalIdentity;
  /** Keeps a socket among those stop() waits for. */
  track(ws: WebSocket): void;
  /** Our dial got through its handshake: the link takes the connection. */
  established(link: L, ws: WebSocket, peer: RemoteIdentity): void;
}

export class PeerDialer<L extends DialedLink> {
  /** Dials started, for tests of backoff and connection reuse. */
  dials = 0;

  constructor(private readonly deps: PeerDialerDeps<L>) {}

  /** Makes sure something is under way to carry the link's waiting requests. */
  kick(link: L): void {
    if (!this.deps.running() || link.conn || link.dial) return;
    if (link.waiting.length === 0) return;
    if (this.deps.opts.clock.nowMs() < link.nextDialAtMs) {
      this.failWaiting(link, this.failureError(link, 'backing off after a failed dial'));
      return;
    }
    this.dial(link);
  }

  /** A connection serves the link: its backoff starts over. */
  connected(link: L): void {
    link.failures = 0;
    link.nextDialAtMs = 0;
    link.lastFailure = undefined;
    link.retryTimer?.cancel();
    link.retryTimer = undefined;
  }

  /** The error a request to the link fails with while it is not connected: the last failure's. */
  failureError(link: L, context?: string): PeerError {
    const f = link.lastFailure ?? { refused: false, reason: 'not connected' };
    const reason = context ? `${f.reason} (${context})` : f.reason;
    return f.refused ? new PeerHandshakeError(link.address, reason) : new PeerUnavailableError(link.address, reason);
  }

  failWaiting(link: L, err: PeerError): void {
    const waiting = link.waiting;
    link.waiting = [];
    for (const out of waiting) if (out.req) settle(out.req, err);
  }

  private dial(link: L): void {
    const { opts } = this.deps;
    const tls = this.deps.tls();
    this.dials++;
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${tls ? 'wss' : 'ws'}://${link.address}/`, {
        perMessageDeflate: false, maxPayload: opts.maxFrameBytes, followRedirects: false,
        // An all-zero mask lets ws skip XOR-ing every byte: masking guards browser-facing proxies
        // against cache poisoning, which does not apply between two nodes of a cluster.
        generateMask: zeroMask,
        // ws types checkServerIdentity as returning a boolean; tls.connect wants undefined for "fine".
        ...(tls ? (clientTlsOptions(tls) as unknown as WebSocket.ClientOptions) : {}),
      });
    } catch (err) {
      // A malformed address: fail like an unreachable peer (with backoff), not with a throw.
      this.onDialOutcome(link, undefined, { kind: 'failed', reason: `cannot dial: ${(err as Error).message}` });
      return;
    }
    this.deps.track(ws);
    let stopCounting: (() => void) | undefined;
    const hs = new DialerHandshake(this.deps.self(), (frame) => ws.send(frame), opts.expectedIdAt(link.address));
    // The acceptor is not proven before its Challenge either: its bytes are capped alike.
    ws.once('upgrade', (res) => {
      stopCounting = capBytes(res.socket, PRE_AUTH_BYTES_MAX);
      hs.bindChannel(channelBinding(res.socket));
    });
    ws.once('open', () => hs.start());
    const step = openSocket(ws, opts.clock, opts.connectTimeoutMs, (frame) => hs.onFrame(frame), (outcome) => {
      stopCounting?.();
      this.onDialOutcome(link, ws, outcome);
    });
    link.dial = { abandon: (reason) => step.abandon(reason) };
  }

  private onDialOutcome(link: L, ws: WebSocket | undefined, outcome: SocketStep): void {
    const { opts, log } = this.deps;
    link.dial = undefined;
    switch (outcome.kind) {
      case 'established':
        this.deps.established(link, ws!, outcome.peer);
        return;
      case 'abandoned':
        return; // an inbound connection from the same peer carries the waiting requests
      case 'duplicate':
        // The peer keeps its own dial to us; wait for it, and dial again if it never comes.
        link.retryTimer?.cancel();
        link.retryTimer = opts.clock.setTimer(opts.backoffBaseMs * 4, () => {
          link.retryTimer = undefined;
          this.kick(link);
        });
        return;
      case 'refused':
      case 'failed': {
        const refused = outcome.kind === 'refused';
        if (refused) log.warn({ address: link.address, reason: outcome.reason, by: outcome.byPeer ? 'peer' : 'us' }, 'peer handshake refused');
        else log.debug({ address: link.address, reason: outcome.reason }, 'peer dial failed');
        link.failures++;
        const delayMs = backoffDelayMs(link.failures, { baseMs: opts.backoffBaseMs, maxMs: opts.backoffMaxMs }, opts.random);
        link.nextDialAtMs = opts.clock.nowMs() + delayMs;
        link.lastFailure = { refused, reason: outcome.reason };
        this.failWaiting(link, this.failureError(link));
        return;
      }
    }
  }
}
