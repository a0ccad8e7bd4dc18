// One established, authenticated WebSocket to a peer. Requests flow both ways over it. Outgoing
// messages collect in its outbox (outbox.ts) and leave as one batch frame per event-loop turn.
//
// What a peer can make this node hold is bounded: requests of the peer being handled at once
// (beyond maxInbound it is answered PEER_OVERLOADED at once), and bytes queued for it (past
// maxQueuedBytes the peer is not reading, and the connection is closed). No socket callback
// throws: anything unexpected closes this connection with a protocol error and a log line.
import type WebSocket from 'ws';
import type { Logger } from '../observability/logger.js';
import type { Clock, NextTurn, TimerHandle } from '../clock.js';
import {
  CloseCode, FrameDecodeError, FrameType, MessageKind, decodeBatchFrame, encodeMessage, isPeerBody, readErrorReply,
  type EncodedMessage,
} from './frame-codec.js';
import type { RemoteIdentity } from './handshake.js';
import { Outbox, type Outgoing } from './outbox.js';
import { PeerOverloadedError, PeerRemoteError, PeerUnavailableError, type PeerError } from './peer-errors.js';
import type { PeerBody } from './transport.js';

/** A request of this node waiting for its reply. */
export interface PendingRequest {
  id: number;
  /** The address the caller asked for (errors name it). */
  address: string;
  resolve(body: PeerBody): void;
  reject(err: Error): void;
  timer?: TimerHandle;
  /** The connection it was written to, once written. */
  conn?: PeerConnection;
  /** Settled (answered, timed out or failed): skip it if still queued. */
  done: boolean;
}

/** Counters for tests and metrics. */
export interface TransportStats {
  framesSent: number;
  framesReceived: number;
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
}

export interface ConnectionOptions {
  clock: Clock;
  /** Where the outbox is flushed: once per turn, after what the turn queued. */
  nextTurn: NextTurn;
  logger: Logger;
  stats: TransportStats;
  highWaterMarkBytes: number;
  frameTargetBytes: number;
  /** 0 disables keepalive pings. */
  pingIntervalMs: number;
  /** Requests of the peer being handled at once; beyond it they are answered PEER_OVERLOADED. */
  maxInbound: number;
  /** Bytes queued for the peer (replies and requests) past which it counts as not reading. */
  maxQueuedBytes: number;
  onRequest(conn: PeerConnection, id: number, body: PeerBody): void;
  onClosed(conn: PeerConnection, reason: string): void;
}

export function settle(req: PendingRequest, err: Error | undefined, body?: PeerBody): void {
  if (req.done) return;
  req.done = true;
  req.timer?.cancel();
  req.conn?.inflight.delete(req.id);
  if (err) req.reject(err);
  else req.resolve(body!);
}

export class PeerConnection {
  readonly inflight = new Map<number, PendingRequest>();
  private readonly outbox: Outbox;
  private pingTimer?: TimerHandle;
  private heardSincePing = true;
  private closedReason?: string;
  /** Requests of the peer being handled (their replies not queued yet). */
  private inbound = 0;
  /** Monotonic-ish time of the last frame in either direction (link idleness). */
  lastActivityMs = 0;

  constructor(
    readonly ws: WebSocket,
    readonly peer: RemoteIdentity,
    /** The link address this connection serves (the dialed address, or the peer's advertised one). */
    readonly address: string,
    readonly dialedByUs: boolean,
    private readonly opts: ConnectionOptions,
  ) {
    this.lastActivityMs = opts.clock.nowMs();
    this.outbox = new Outbox({
      nextTurn: opts.nextTurn, frameTargetBytes: opts.frameTargetBytes, maxQueuedBytes: opts.maxQueuedBytes,
      closed: () => this.closed, backpressured: () => this.backpressured, guard: (work) => this.guard(work),
      inFlight: (req) => {
        req.conn = this;
        this.inflight.set(req.id, req);
      },
      write: (frame, messages, bytes, sent) => {
        ws.send(frame, { binary: true }, sent);
        this.lastActivityMs = opts.clock.nowMs();
        opts.stats.framesSent++;
        opts.stats.messagesSent += messages;
        opts.stats.bytesSent += bytes + 1;
      },
    });
    ws.on('message', this.onMessage);
    ws.on('pong', () => { this.heardSincePing = true; });
    ws.on('close', (code: number, reason: Buffer) => {
      this.guard(() => this.shutdown(`connection closed (${code}${reason.length ? `: ${reason.toString('utf8', 0, 120)}` : ''})`));
    });
    ws.on('error', (err: Error) => {
      opts.logger.debug({ peer: peer.id, err: err.message }, 'peer socket error');
    });
    this.armPing();
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  get queued(): number {
    return this.outbox.length;
  }

  get backpressured(): boolean {
    return this.ws.bufferedAmount > this.opts.highWaterMarkBytes;
  }

  enqueue(out: Outgoing): void {
    if (this.closed) {
      if (out.req) settle(out.req, new PeerUnavailableError(out.req.address, this.closedReason!));
      return;
    }
    if (this.outbox.push(out)) return;
    const queuedBytes = this.outbox.bytes;
    this.opts.logger.warn({ peer: this.peer.id, address: this.address, queuedBytes }, 'peer is not reading: closing the connection');
    this.shutdown(`the peer is not reading (${queuedBytes} bytes queued for it)`, 'terminate');
  }

  /** The reply to a request of the peer: queued, and its slot in the inbound bound freed. */
  reply(bytes: EncodedMessage): void {
    this.inbound = Math.max(0, this.inbound - 1);
    this.enqueue({ bytes });
  }

  /**
   * Closes the connection (if still open) and fails everything on it: in-flight requests and
   * queued ones alike with PEER_UNAVAILABLE. Idempotent.
   */
  shutdown(reason: string, close?: { code: number; reason: string } | 'terminate'): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.pingTimer?.cancel();
    if (close === 'terminate') this.ws.terminate();
    else if (close) this.ws.close(close.code, close.reason);
    const err = (req: PendingRequest): PeerError => new PeerUnavailableError(req.address, reason);
    for (const req of [...this.inflight.values()]) settle(req, err(req));
    for (const req of this.outbox.clear()) settle(req, err(req));
    this.opts.onClosed(this, reason);
  }

  /** Runs a socket callback's work: an unexpected throw closes this connection, never the process. */
  private guard(work: () => void): void {
    try {
      work();
    } catch (err) {
      this.opts.logger.error({ peer: this.peer.id, address: this.address, err }, 'peer connection failed unexpectedly: closing it');
      try {
        this.shutdown(`internal error: ${(err as Error)?.message ?? String(err)}`, { code: CloseCode.ProtocolError, reason: 'internal error' });
      } catch {
        this.ws.terminate();
      }
    }
  }

  private readonly onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    this.guard(() => this.receive(data, isBinary));
  };

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.closed) return;
    this.heardSincePing = true;
    this.lastActivityMs = this.opts.clock.nowMs();
    const frame = data as Buffer;
    if (!isBinary || !Buffer.isBuffer(frame) || frame[0] !== FrameType.Batch) {
      this.protocolError(`unexpected ${isBinary ? `frame type ${Buffer.isBuffer(frame) ? frame[0] : '?'}` : 'text frame'}`);
      return;
    }
    const { stats } = this.opts;
    stats.framesReceived++;
    try {
      for (const msg of decodeBatchFrame(frame)) {
        stats.messagesReceived++;
        if (msg.kind === MessageKind.Request) {
          if (!isPeerBody(msg.body)) throw new FrameDecodeError('request body without a numeric type');
          if (this.inbound >= this.opts.maxInbound) {
            this.enqueue({ bytes: encodeMessage(MessageKind.ErrorReply, msg.id, { code: PeerOverloadedError.code, message: `${this.inbound} requests of this peer are being handled already` }) });
            continue;
          }
          this.inbound++;
          this.opts.onRequest(this, msg.id, msg.body);
          if (this.closed) return;
          continue;
        }
        const req = this.inflight.get(msg.id);
        if (!req) continue; // timed out already: drop the late reply
        if (msg.kind === MessageKind.Reply) {
          settle(req, undefined, msg.body as PeerBody);
        } else {
          const e = readErrorReply(msg.body);
          settle(req, new PeerRemoteError(req.address, e.code, e.message));
        }
      }
    } catch (err) {
      if (!(err instanceof FrameDecodeError)) throw err;
      this.protocolError(err.message);
    }
  }

  private protocolError(reason: string): void {
    this.opts.logger.warn({ peer: this.peer.id, address: this.address, reason }, 'closing peer connection: protocol error');
    this.shutdown(`protocol error: ${reason}`, { code: CloseCode.ProtocolError, reason: reason.slice(0, 100) });
  }

  private armPing(): void {
    const { pingIntervalMs, clock } = this.opts;
    if (pingIntervalMs <= 0 || this.closed) return;
    this.pingTimer = clock.setTimer(pingIntervalMs, () => this.guard(() => {
      if (this.closed) return;
      if (!this.heardSincePing) {
        this.opts.logger.warn({ peer: this.peer.id, address: this.address }, 'peer stopped answering pings: dropping the connection');
        this.shutdown('no answer to keepalive pings', 'terminate');
        return;
      }
      this.heardSincePing = false;
      this.ws.ping();
      this.armPing();
    }));
  }
}
