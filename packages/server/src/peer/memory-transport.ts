// An in-memory PeerTransport for fast unit tests of the components above the transport (the
// coordinator, gossip, hinted handoff). Same interface and the same error codes as the WebSocket
// transport, real promises, delivery on a later turn (nextTurn), bodies passed through the
// wire encoding so a test sees exactly what the real transport would deliver (Uint8Array comes
// back as Buffer, Map as a plain object). A node can be marked down: requests to or from it fail
// with PEER_UNAVAILABLE, and requests in flight to or from it fail at once.
import { immediateTurn, systemClock, type Clock, type NextTurn } from '../clock.js';
import { cloneThroughWire } from './frame-codec.js';
import { invokeHandler } from './invoke-handler.js';
import { PeerRemoteError, PeerTimeoutError, PeerUnavailableError } from './peer-errors.js';
import { settle, type PendingRequest } from './peer-connection.js';
import type { PeerBody, PeerHandler, PeerTransport } from './transport.js';

interface InFlight {
  from: string;
  to: string;
  req: PendingRequest;
}

export interface MemoryNetworkOptions {
  /** Clock for request timeouts (default: the system clock). */
  clock?: Clock;
  /** Where requests are delivered (default setImmediate: a later event-loop turn). */
  nextTurn?: NextTurn;
}

export class MemoryNetwork {
  readonly clock: Clock;
  readonly nextTurn: NextTurn;
  private readonly nodes = new Map<string, MemoryTransport>();
  private readonly down = new Set<string>();
  private readonly inFlight = new Set<InFlight>();
  /** Requests delivered to a handler, for assertions. */
  delivered = 0;

  constructor(opts: MemoryNetworkOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.nextTurn = opts.nextTurn ?? immediateTurn;
  }

  /** Creates the transport of a node reachable at `address`. */
  transport(nodeId: string, address: string): MemoryTransport {
    if (this.nodes.has(address)) throw new Error(`address ${address} is already taken on this memory network`);
    const t = new MemoryTransport(this, nodeId, address);
    this.nodes.set(address, t);
    return t;
  }

  /** Marks a node unreachable (as a crashed process or a cut link) or reachable again. */
  setDown(address: string, down: boolean): void {
    if (!down) {
      this.down.delete(address);
      return;
    }
    this.down.add(address);
    this.failInvolving(address, `${address} is down`);
  }

  isDown(address: string): boolean {
    return this.down.has(address);
  }

  /** @internal */
  reachable(from: string, to: string): boolean {
    const target = this.nodes.get(to);
    return target !== undefined && target.running && !this.down.has(to) && !this.down.has(from);
  }

  /** @internal */
  failInvolving(address: string, reason: string): void {
    for (const f of [...this.inFlight]) {
      if (f.from === address || f.to === address) {
        this.inFlight.delete(f);
        settle(f.req, new PeerUnavailableError(f.to, reason));
      }
    }
  }

  /** @internal */
  send(from: MemoryTransport, to: string, body: PeerBody, timeoutMs: number): Promise<PeerBody> {
    let copy: PeerBody;
    try {
      copy = cloneThroughWire(body) as PeerBody;
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<PeerBody>((resolve, reject) => {
      const req: PendingRequest = { id: 0, address: to, resolve, reject, done: false };
      const entry: InFlight = { from: from.address, to, req };
      this.inFlight.add(entry);
      req.timer = this.clock.setTimer(timeoutMs, () => {
        this.inFlight.delete(entry);
        settle(req, new PeerTimeoutError(to, timeoutMs));
      });
      this.nextTurn(() => {
        if (req.done) return;
        const target = this.nodes.get(to);
        if (!target || !this.reachable(from.address, to)) {
          this.inFlight.delete(entry);
          settle(req, new PeerUnavailableError(to, target ? 'not reachable' : 'no node at this address'));
          return;
        }
        this.delivered++;
        from.learned.set(to, target.nodeId);
        invokeHandler(target.handler, { id: from.nodeId, address: from.address }, copy, (outcome) => {
          if (req.done) return;
          this.inFlight.delete(entry);
          if (!this.reachable(from.address, to)) settle(req, new PeerUnavailableError(to, 'not reachable'));
          else if (outcome.ok) settle(req, undefined, cloneThroughWire(outcome.body) as PeerBody);
          else settle(req, new PeerRemoteError(to, outcome.error.code, outcome.error.message));
        });
      });
    });
  }
}

export class MemoryTransport implements PeerTransport {
  /** @internal */
  handler?: PeerHandler;
  /** @internal */
  running = false;
  /** @internal address -> node id, learned on first delivery. */
  readonly learned = new Map<string, string>();

  constructor(private readonly network: MemoryNetwork, readonly nodeId: string, readonly address: string) {}

  async start(): Promise<void> {
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.network.failInvolving(this.address, 'the peer transport stopped');
  }

  setHandler(handler: PeerHandler): void {
    this.handler = handler;
  }

  request(address: string, body: PeerBody, timeoutMs: number): Promise<PeerBody> {
    if (!this.running) return Promise.reject(new PeerUnavailableError(address, 'the peer transport is not running'));
    return this.network.send(this, address, body, timeoutMs);
  }

  peerIdAt(address: string): string | undefined {
    return address === this.address ? this.nodeId : this.learned.get(address);
  }

  isConnected(address: string): boolean {
    return this.running && this.network.reachable(this.address, address);
  }
}
