// An inbound peer connection, from the WebSocket the listener upgraded (peer-listener.ts) to the
// link or guest connection it serves (peer-links.ts): the handshake as the acceptor, and what the
// proven peer may be to this node.
//
// Nothing unproven changes state: an inbound connection creates or touches a link only once its
// proof checked out, and only for a member (classify); guests (a node asking to join) get a
// bounded number of connections of their own. Before that, a connection may send at most
// PRE_AUTH_BYTES_MAX bytes, handshake frames are capped before they are decoded, and at most
// maxPendingHandshakes connections handshake at once.
import type WebSocket from 'ws';
import type { Logger } from '../observability/logger.js';
import { CloseCode } from './frame-codec.js';
import { AcceptorHandshake, type LocalIdentity } from './handshake.js';
import type { PeerLinks } from './peer-links.js';
import { openSocket } from './socket-handshake.js';
import type { ResolvedWsTransportOptions } from './ws-transport-options.js';

export interface PeerAcceptorDeps {
  opts: ResolvedWsTransportOptions;
  log: Logger;
  links: PeerLinks;
  /** Whether the transport is running (a connection established after it stopped is dropped). */
  running(): boolean;
  /** This node's identity and secrets, as the handshake proves them. */
  self(): LocalIdentity;
  /** Keeps a socket among those stop() waits for. */
  track(ws: WebSocket): void;
}

export class PeerAcceptor {
  constructor(private readonly deps: PeerAcceptorDeps) {}

  /**
   * Runs the handshake on a new inbound WebSocket; `handshakeOver` frees its handshake slot, and
   * `binding` is the TLS keying material the proofs cover (undefined without TLS).
   */
  accept(ws: WebSocket, handshakeOver: () => void, binding: Uint8Array | undefined): void {
    const { opts, log, links } = this.deps;
    this.deps.track(ws);
    let standing: 'member' | 'guest' = 'member';
    const hs = new AcceptorHandshake(
      this.deps.self(),
      (frame) => ws.send(frame),
      // Before any proof: only a refusal, which acts on nothing the Hello claims.
      (peer) => {
        if (links.dialingAndSmaller(peer)) return { code: CloseCode.Duplicate, reason: 'duplicate: keeping the connection dialed by the smaller id' };
        return undefined;
      },
      // Proven: what the peer may be to this node.
      (peer) => {
        const s = opts.classify(peer);
        if (typeof s === 'object') return { code: CloseCode.HandshakeRefused, reason: s.refuse };
        if (s === 'guest' && links.guestsFull) {
          return { code: CloseCode.HandshakeRefused, reason: `too many connections of nodes that are not members (${links.guestCount})` };
        }
        standing = s;
        return undefined;
      },
      binding,
    );
    openSocket(ws, opts.clock, opts.connectTimeoutMs, (frame) => hs.onFrame(frame), (outcome) => {
      handshakeOver();
      if (outcome.kind === 'established') {
        if (!this.deps.running()) ws.terminate();
        else links.accept(ws, outcome.peer, standing);
        return;
      }
      if (outcome.kind === 'refused') {
        log.warn({ from: hs.claimedPeer ?? null, reason: outcome.reason, by: outcome.byPeer ? 'peer' : 'us' }, 'peer handshake refused');
      }
    });
  }
}
