// The peer protocol above a test transport: the decoder, the router (its handler installed on the
// transport) and the typed client, as a node wires them.
import { PeerProtocol, PeerRouter, PeerRpc, createLogger, type PeerIdentity, type PeerTransport } from '@ringkv/server';

export interface PeerStack {
  protocol: PeerProtocol;
  router: PeerRouter;
  rpc: PeerRpc;
}

export function peerStack(transport: PeerTransport, o: { partitions?: number; isMember?: (from: PeerIdentity) => boolean } = {}): PeerStack {
  const protocol = new PeerProtocol({ partitions: o.partitions ?? 64, maxKeyBytes: 1024, maxValueBytes: 1024 * 1024 });
  const router = new PeerRouter({ protocol, isMember: o.isMember ?? (() => true), log: createLogger('silent', {}) });
  transport.setHandler(router.handle);
  return { protocol, router, rpc: new PeerRpc(transport, protocol) };
}
