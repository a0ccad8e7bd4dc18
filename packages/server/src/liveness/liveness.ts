// What the data path asks of failure detection: is a peer up, and tell me when one comes back.
// GossipService implements it (phi-accrual over gossiped heartbeats, plus request outcomes).
export interface Liveness {
  isUp(id: string): boolean;
  /** Called when a peer goes from down to up. */
  onUp(listener: (id: string) => void): void;
  /** Evidence from a request to a peer (a hint; gossip decides). */
  report(id: string, ok: boolean): void;
}
