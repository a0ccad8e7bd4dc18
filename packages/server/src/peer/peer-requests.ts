// Requests and replies between this node and the others over the links (peer-links.ts). A request
// of this node gets the next id, its timeout, and a refusal at once when it does not fit a frame. A
// request of a peer goes to the handler, and its outcome goes back as the reply, or as an error
// reply when the reply does not fit a frame or cannot be encoded: the peer always hears back.
import { MessageKind, encodeMessage, errorReplyOf } from './frame-codec.js';
import { invokeHandler, type HandlerOutcome } from './invoke-handler.js';
import type { Outgoing } from './outbox.js';
import { settle, type PeerConnection, type PendingRequest } from './peer-connection.js';
import { PeerMessageTooLargeError, PeerReplyUnencodableError, PeerTimeoutError } from './peer-errors.js';
import type { PeerBody, PeerHandler } from './transport.js';
import type { ResolvedWsTransportOptions } from './ws-transport-options.js';

export interface PeerRequestsDeps {
  opts: ResolvedWsTransportOptions;
  /** The handler of the peers' requests, once set. */
  handler(): PeerHandler | undefined;
  /** Sends an encoded request on the link to `address` (PeerLinks.send). */
  send(address: string, out: Outgoing & { req: PendingRequest }): void;
}

export class PeerRequests {
  private nextId = 1;

  constructor(private readonly deps: PeerRequestsDeps) {}

  /** A request to the node at `address` (not this node): resolves with its reply. */
  request(address: string, body: PeerBody, timeoutMs: number): Promise<PeerBody> {
    const { opts } = this.deps;
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    let bytes: Buffer;
    try {
      bytes = encodeMessage(MessageKind.Request, id, body);
    } catch (err) {
      return Promise.reject(err);
    }
    if (bytes.length >= opts.maxFrameBytes) return Promise.reject(new PeerMessageTooLargeError(address, bytes.length, opts.maxFrameBytes));
    return new Promise<PeerBody>((resolve, reject) => {
      const req: PendingRequest = { id, address, resolve, reject, done: false };
      req.timer = opts.clock.setTimer(timeoutMs, () => settle(req, new PeerTimeoutError(address, timeoutMs)));
      this.deps.send(address, { bytes, req });
    });
  }

  /** A request of the peer on `conn`: the handler's outcome is queued on it as the reply. */
  serve(conn: PeerConnection, id: number, body: PeerBody): void {
    invokeHandler(this.deps.handler(), conn.peer, body, (outcome) => {
      if (conn.closed) return;
      conn.reply(this.encodeReply(id, outcome));
    });
  }

  private encodeReply(id: number, outcome: HandlerOutcome): Buffer {
    try {
      const bytes = outcome.ok ? encodeMessage(MessageKind.Reply, id, outcome.body) : encodeMessage(MessageKind.ErrorReply, id, outcome.error);
      if (bytes.length < this.deps.opts.maxFrameBytes) return bytes;
      return encodeMessage(MessageKind.ErrorReply, id, { code: PeerMessageTooLargeError.code, message: `reply of ${bytes.length} bytes exceeds the frame limit` });
    } catch (err) {
      return encodeMessage(MessageKind.ErrorReply, id, errorReplyOf(new PeerReplyUnencodableError((err as Error).message ?? String(err))));
    }
  }
}
