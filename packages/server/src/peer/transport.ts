// The seam between a node and its peers. The WebSocket transport implements it for real
// processes; the simulator implements it over a simulated network. Bodies are plain objects
// (msgpack-serializable: numbers, strings, booleans, Uint8Array, arrays, maps) whose `type`
// field is a PeerMessageType; the transport does not look inside them.

export interface PeerBody {
  type: number;
  [field: string]: unknown;
}

/** Who sent a request, as proven by the handshake. */
export interface PeerIdentity {
  id: string;
  /** The peer address it advertises (where to dial it). */
  address: string;
}

export type PeerHandler = (from: PeerIdentity, body: PeerBody) => Promise<PeerBody> | PeerBody;

export interface PeerTransport {
  start(): Promise<void>;
  /** Closes every connection; requests in flight reject with PEER_UNAVAILABLE. */
  stop(): Promise<void>;
  /**
   * Sends `body` to the node listening at `address` and resolves with its reply. Rejects with a
   * PeerError: PEER_UNAVAILABLE (cannot connect, refused, or connection lost before the reply),
   * PEER_TIMEOUT (no reply within timeoutMs), PEER_OVERLOADED (too much queued for that peer),
   * or PEER_REMOTE (the handler on the other side threw; its code and message are carried).
   */
  request(address: string, body: PeerBody, timeoutMs: number): Promise<PeerBody>;
  /** The handler of requests from peers; set before start(). */
  setHandler(handler: PeerHandler): void;
  /** The node id learned in the handshake with the node at `address`, if connected once. */
  peerIdAt(address: string): string | undefined;
  /** Whether a connection to `address` is established right now. */
  isConnected(address: string): boolean;
}
