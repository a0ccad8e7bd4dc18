// The outbox of one peer connection (peer-connection.ts): the messages queued for the peer, their
// bytes (bounded: past maxQueuedBytes the peer is not reading), and their flush as one batch frame
// per event-loop turn (nextTurn), which is 5-10x cheaper than a frame per message (measured
// between two Node processes over ws: 150-190k messages/s one frame each, 1.0-1.35M/s batched per
// turn; transport-bench.ts reruns it). While the socket's bufferedAmount is above the high-water
// mark the outbox holds messages; the send callback of the last frame resumes the flush once the
// kernel has taken it.
import type { NextTurn } from '../clock.js';
import { buildBatchFrame, type EncodedMessage } from './frame-codec.js';
import type { PendingRequest } from './peer-connection.js';

export interface Outgoing {
  bytes: EncodedMessage;
  /** Set for requests (not for replies). */
  req?: PendingRequest;
}

/** The turn and bounds an outbox flushes by, and the connection it sends on. */
export interface OutboxDeps {
  /** Where the flush runs: once per turn, after what the turn queued. */
  nextTurn: NextTurn;
  frameTargetBytes: number;
  /** Bytes queued past which the peer counts as not reading. */
  maxQueuedBytes: number;
  closed(): boolean;
  /** The socket's buffer is above its high-water mark: hold the rest. */
  backpressured(): boolean;
  /** Runs a socket callback's work (the flush) so that a throw closes only this connection. */
  guard(work: () => void): void;
  /** A request leaves in the frame being built: it waits for its reply on this connection now. */
  inFlight(req: PendingRequest): void;
  /** Writes one batch frame of `messages` messages, `bytes` bytes of them; `sent` runs once the socket took it. */
  write(frame: Buffer, messages: number, bytes: number, sent: (err?: Error) => void): void;
}

export class Outbox {
  private items: (Outgoing | undefined)[] = [];
  private head = 0;
  /** A flush is scheduled for the next turn (a closed connection's flush does nothing). */
  private flushScheduled = false;
  /** Bytes queued, not yet handed to the socket. */
  private queuedBytes = 0;

  constructor(private readonly deps: OutboxDeps) {}

  /** Messages queued. */
  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  /**
   * Queues a message and schedules a flush. False when the bytes queued now pass maxQueuedBytes:
   * the peer is not reading (nothing is scheduled; the caller closes the connection).
   */
  push(out: Outgoing): boolean {
    this.queuedBytes += out.bytes.length;
    this.items.push(out);
    if (this.queuedBytes > this.deps.maxQueuedBytes) return false;
    this.scheduleFlush();
    return true;
  }

  /** Empties the outbox; returns the requests that were queued, for the caller to fail. */
  clear(): PendingRequest[] {
    const reqs: PendingRequest[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const req = this.items[i]?.req;
      if (req) reqs.push(req);
    }
    this.items = [];
    this.head = 0;
    this.queuedBytes = 0;
    return reqs;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.deps.nextTurn(this.flush);
  }

  private readonly flush = (): void => {
    this.deps.guard(this.flushNow);
  };

  private readonly flushNow = (): void => {
    this.flushScheduled = false;
    const { deps } = this;
    if (deps.closed()) return;
    while (this.head < this.items.length && !deps.backpressured()) {
      const batch: EncodedMessage[] = [];
      let bytes = 0;
      while (this.head < this.items.length) {
        const out = this.items[this.head]!;
        if (batch.length > 0 && bytes + out.bytes.length > deps.frameTargetBytes) break;
        this.items[this.head++] = undefined;
        this.queuedBytes -= out.bytes.length;
        if (out.req) {
          if (out.req.done) continue;
          deps.inFlight(out.req);
        }
        batch.push(out.bytes);
        bytes += out.bytes.length;
      }
      if (batch.length === 0) continue;
      deps.write(buildBatchFrame(batch, bytes), batch.length, bytes, this.onSent);
    }
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  };

  private readonly onSent = (err?: Error): void => {
    // A write error closes the socket; the close event fails what is in flight.
    if (err || this.deps.closed() || this.length === 0) return;
    this.scheduleFlush();
  };
}
