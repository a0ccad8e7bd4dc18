// Requests to peers with typed replies: the body goes out through the transport, and the reply
// comes back decoded against the schema of the request's type (a malformed reply rejects with
// PEER_BAD_REPLY, as a failed request would). Components call peers only through this.
import type { PeerBody, PeerTransport } from '../peer/transport.js';
import type { PeerProtocol } from './peer-protocol.js';
import type { AnyRequest, ReplyOf } from './peer-messages.js';

export class PeerRpc {
  constructor(private readonly transport: PeerTransport, private readonly protocol: PeerProtocol) {}

  /** Sends a request; resolves with the reply decoded against the schema of the request's type. */
  request<B extends AnyRequest>(address: string, body: B, timeoutMs: number): Promise<ReplyOf<B['type']>> {
    return this.transport.request(address, body as unknown as PeerBody, timeoutMs)
      .then((reply) => this.protocol.decodeReply(body.type, reply, address) as ReplyOf<B['type']>);
  }

  /** The node id learned in the handshake with the node at `address`, if connected once. */
  peerIdAt(address: string): string | undefined {
    return this.transport.peerIdAt(address);
  }
}
