// A simulated network between node incarnations, behind the same PeerTransport seam the WebSocket
// transport fills in a real process. Every message draws its fate from the network's PRNG: a
// delay (its variance reorders messages), loss, duplication. Partitions block directed links (so
// they may be asymmetric); a clogged node's links are very slow. Failures look like the real ones:
// a request to a node that is down is refused (PEER_UNAVAILABLE) after a short delay; a lost
// message or a partition gets no answer, so the caller's own timeout fires (PEER_TIMEOUT); a node
// that crashes while a request to it is open resets the connection (PEER_UNAVAILABLE).
// Bodies are deep-copied on send and on delivery, so no object is shared between nodes.
import type { Prng } from './prng.js';
import {
  PeerRemoteError, PeerTimeoutError, PeerUnavailableError,
  type PeerBody, type PeerHandler, type PeerTransport,
} from '@ringkv/server';
import { errorReplyOf } from '../../packages/server/src/peer/frame-codec.js';
import type { Scheduler } from './scheduler.js';

export interface NetworkOptions {
  /** One-way delay of a message on a healthy link. */
  latencyMsMin: number;
  latencyMsMax: number;
  /** One-way delay on a link to or from a clogged node. */
  clogLatencyMsMin: number;
  clogLatencyMsMax: number;
  /** Chance that one message (request or reply) is lost. */
  dropProbability: number;
  /** Chance that a request is delivered twice. */
  duplicateProbability: number;
  /** How long "connection refused" takes to come back. */
  refuseDelayMs: number;
}

export const HEALTHY_NETWORK: Readonly<NetworkOptions> = Object.freeze({
  latencyMsMin: 1, latencyMsMax: 10, clogLatencyMsMin: 800, clogLatencyMsMax: 3000,
  dropProbability: 0, duplicateProbability: 0, refuseDelayMs: 2,
});

interface Endpoint {
  id: string;
  address: string;
  /** The live incarnation's transport, or undefined while the node is down. */
  live?: SimTransport;
}

interface OpenRequest {
  readonly id: number;
  readonly caller: SimTransport;
  readonly to: Endpoint;
  readonly body: PeerBody;
  settled: boolean;
  resolve(b: PeerBody): void;
  reject(e: Error): void;
  cancelTimeout(): void;
}

export class SimNetwork {
  options: NetworkOptions = { ...HEALTHY_NETWORK };
  private readonly byAddress = new Map<string, Endpoint>();
  private readonly blocked = new Set<string>();
  private readonly clogged = new Set<string>();
  private nextRequestId = 0;
  messages = 0;
  /** Told of every request a node answered successfully (whether or not the reply then arrives). */
  onAnswered?: (replier: string, request: PeerBody, reply: PeerBody) => void;

  constructor(private readonly scheduler: Scheduler, private readonly prng: Prng) {}

  addNode(id: string, address: string): void {
    this.byAddress.set(address, { id, address });
  }

  /** A transport for one incarnation of a node (a restart gets a new one). */
  transportFor(id: string, address: string, incarnation: number): SimTransport {
    return new SimTransport(this, id, address, incarnation);
  }

  // --- faults (the nemesis drives these) ---

  /** Messages from `from` to `to` are lost (one direction only). */
  block(from: string, to: string): void {
    this.blocked.add(`${from}>${to}`);
  }

  /** Splits the nodes into groups that cannot talk to each other (both directions). */
  partition(groups: readonly (readonly string[])[]): void {
    for (const a of groups) for (const b of groups) {
      if (a === b) continue;
      for (const x of a) for (const y of b) this.block(x, y);
    }
  }

  clog(id: string, on: boolean): void {
    if (on) this.clogged.add(id);
    else this.clogged.delete(id);
  }

  healPartitions(): void {
    this.blocked.clear();
  }

  healAll(): void {
    this.blocked.clear();
    this.clogged.clear();
    this.options = { ...HEALTHY_NETWORK };
  }

  isBlocked(from: string, to: string): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  /** Whether `from` can reach `to` and hear back right now (for the checker's bookkeeping). */
  connected(from: string, to: string): boolean {
    return from === to || (!this.isBlocked(from, to) && !this.isBlocked(to, from));
  }

  describeFaults(): string {
    return `blocked=[${[...this.blocked].sort().join(',')}] clogged=[${[...this.clogged].sort().join(',')}] drop=${this.options.dropProbability} dup=${this.options.duplicateProbability}`;
  }

  // --- the transport's side ---

  attach(t: SimTransport): void {
    this.endpoint(t.address).live = t;
  }

  detach(t: SimTransport): void {
    const ep = this.endpoint(t.address);
    if (ep.live === t) ep.live = undefined;
  }

  idAt(address: string): string | undefined {
    return this.byAddress.get(address)?.id;
  }

  isUp(address: string): boolean {
    return this.byAddress.get(address)?.live !== undefined;
  }

  send(caller: SimTransport, address: string, body: PeerBody, timeoutMs: number): Promise<PeerBody> {
    return new Promise<PeerBody>((resolve, reject) => {
      const to = this.byAddress.get(address);
      if (!to) {
        reject(new PeerUnavailableError(address, 'unknown address'));
        return;
      }
      const id = this.nextRequestId++;
      const timeout = this.scheduler.schedule(timeoutMs, `timeout r${id}`, () => {
        this.settle(req, undefined, new PeerTimeoutError(address, timeoutMs));
      });
      const req: OpenRequest = {
        id, caller, to, body: structuredClone(body), settled: false, resolve, reject,
        cancelTimeout: () => { timeout.cancelled = true; },
      };
      caller.open.add(req);
      this.messages++;
      const what = `r${id} ${caller.id}>${to.id} t${body.type}`;
      if (this.isBlocked(caller.id, to.id)) {
        this.scheduler.trace.add(`${this.scheduler.nowMs} partitioned ${what}`);
        return;
      }
      const target = to.live;
      if (!target) {
        this.scheduler.schedule(this.options.refuseDelayMs, `refused ${what}`, () => {
          this.settle(req, undefined, new PeerUnavailableError(address, 'connection refused'));
        });
        return;
      }
      if (this.prng.chance(this.options.dropProbability)) {
        this.scheduler.trace.add(`${this.scheduler.nowMs} lost ${what}`);
        return;
      }
      const copies = this.prng.chance(this.options.duplicateProbability) ? 2 : 1;
      for (let c = 0; c < copies; c++) {
        this.scheduler.schedule(this.latencyMs(caller.id, to.id), `deliver ${what}${c ? ' dup' : ''}`, () => this.deliver(req, target));
      }
    });
  }

  private deliver(req: OpenRequest, target: SimTransport): void {
    const { to } = req;
    if (to.live !== target) {
      // The incarnation the connection was made to is gone: the caller sees a reset.
      this.reset(req);
      return;
    }
    if (this.isBlocked(req.caller.id, to.id)) return; // partitioned while in flight: lost
    const handler = target.handler;
    if (!handler) {
      this.reset(req);
      return;
    }
    const from = { id: req.caller.id, address: req.caller.address };
    target.serving.add(req);
    Promise.resolve()
      .then(() => handler(from, structuredClone(req.body)))
      .then(
        (reply) => this.respond(req, target, structuredClone(reply), undefined),
        (err: unknown) => this.respond(req, target, undefined, err),
      );
  }

  private respond(req: OpenRequest, target: SimTransport, reply: PeerBody | undefined, err: unknown): void {
    const { to } = req;
    if (!target.serving.delete(req)) return; // the target stopped meanwhile: the caller was reset then
    if (to.live !== target) {
      this.reset(req);
      return;
    }
    if (reply) this.onAnswered?.(to.id, req.body, reply);
    const what = `r${req.id} ${to.id}>${req.caller.id}`;
    if (this.isBlocked(to.id, req.caller.id)) {
      this.scheduler.trace.add(`${this.scheduler.nowMs} partitioned reply ${what}`);
      return;
    }
    if (this.prng.chance(this.options.dropProbability)) {
      this.scheduler.trace.add(`${this.scheduler.nowMs} lost reply ${what}`);
      return;
    }
    const error = err === undefined ? undefined : remoteError(to.address, err);
    this.scheduler.schedule(this.latencyMs(to.id, req.caller.id), `reply ${what}${error ? ` ${error.remoteCode}` : ''}`, () => {
      this.settle(req, reply, error);
    });
  }

  /** The caller of a request sees its connection reset (as a socket to a process that went away). */
  reset(req: OpenRequest): void {
    this.scheduler.schedule(this.options.refuseDelayMs, `reset r${req.id}`, () => {
      this.settle(req, undefined, new PeerUnavailableError(req.to.address, 'connection reset'));
    });
  }

  /** Settles a request once; nothing reaches a caller incarnation that crashed. */
  settle(req: OpenRequest, reply: PeerBody | undefined, err: Error | undefined): void {
    if (req.settled || req.caller.dead) return;
    req.settled = true;
    req.cancelTimeout();
    req.caller.open.delete(req);
    if (err) req.reject(err);
    else req.resolve(reply!);
  }

  private latencyMs(from: string, to: string): number {
    const o = this.options;
    const slow = this.clogged.has(from) || this.clogged.has(to);
    return slow ? this.prng.int(o.clogLatencyMsMin, o.clogLatencyMsMax + 1) : this.prng.int(o.latencyMsMin, o.latencyMsMax + 1);
  }

  private endpoint(address: string): Endpoint {
    const ep = this.byAddress.get(address);
    if (!ep) throw new Error(`no simulated node at ${address}`);
    return ep;
  }
}

/** What the caller sees of a handler's error: the wire's error reply, so codes match the real transports. */
function remoteError(address: string, err: unknown): PeerRemoteError {
  const { code, message } = errorReplyOf(err);
  return new PeerRemoteError(address, code, message);
}

/** One incarnation's PeerTransport. A crash kills it: its open requests never settle. */
export class SimTransport implements PeerTransport {
  handler?: PeerHandler;
  dead = false;
  private stopped = false;
  readonly open = new Set<OpenRequest>();
  /** Requests delivered to this incarnation's handler and not answered yet. */
  readonly serving = new Set<OpenRequest>();

  constructor(private readonly net: SimNetwork, readonly id: string, readonly address: string, readonly incarnation: number) {}

  async start(): Promise<void> {
    if (this.dead || this.stopped) throw new Error(`transport of ${this.id}#${this.incarnation} cannot restart`);
    this.net.attach(this);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.net.detach(this);
    for (const req of [...this.open]) this.net.settle(req, undefined, new PeerUnavailableError(req.to.address, 'transport stopped'));
    this.resetServing();
  }

  /** The process died: no more sending, receiving or settling. */
  kill(): void {
    this.dead = true;
    this.net.detach(this);
    this.open.clear();
    this.resetServing();
  }

  /** Callers whose requests this incarnation was handling see a reset, as over a closed socket. */
  private resetServing(): void {
    for (const req of this.serving) if (!req.settled) this.net.reset(req);
    this.serving.clear();
  }

  request(address: string, body: PeerBody, timeoutMs: number): Promise<PeerBody> {
    if (this.dead || this.stopped) return Promise.reject(new PeerUnavailableError(address, 'transport stopped'));
    return this.net.send(this, address, body, timeoutMs);
  }

  setHandler(handler: PeerHandler): void {
    this.handler = handler;
  }

  peerIdAt(address: string): string | undefined {
    return this.net.idAt(address);
  }

  isConnected(address: string): boolean {
    const id = this.net.idAt(address);
    return id !== undefined && this.net.isUp(address) && this.net.connected(this.id, id);
  }
}
