// The contract every PeerTransport keeps (src/peer/transport.ts), as one suite that the WebSocket
// transport, the in-memory one and the simulator's network all run (ws-transport.conformance.test.ts,
// memory-transport.conformance.test.ts, test/sim/sim-transport.conformance.test.ts). It asserts
// only what the interface documents or what all three must agree on for the code above the seam
// to behave the same in tests, in the simulator and in production; where an implementation
// legitimately differs, the factory says so in a capability flag.
//
// Time is the harness's: real time for sockets, a ManualClock for the memory network, the
// Scheduler's simulated time for the simulator. The suite never sleeps: it waits for conditions
// with pollUntil over that time, and awaits requests through the harness's settle(), which drives
// the time a transport needs and fails past a deadline. Nothing asserts how long anything takes;
// "promptly" means well before the request's own (long) timeout, so a failure that only the
// timeout would have reported shows up as a hang.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import {
  InternalError, PeerError, PeerMessageType as T, PeerRemoteError, PeerTimeoutError, PeerUnavailableError,
  type PeerBody, type PeerHandler, type PeerTransport,
} from '@ringkv/server';
import { pollUntil, type PollTime } from '../../../../test/support/poll.js';

/** One node of the harness, started. */
export interface ConformanceNode {
  readonly id: string;
  /** Where peers reach it (a port 0 already resolved). */
  readonly address: string;
  readonly transport: PeerTransport;
}

export interface TransportHarness {
  /** Creates the transport of node `id`, sets `handler` and starts it. */
  start(id: string, handler: PeerHandler): Promise<ConformanceNode>;
  /**
   * Stops the node (if it still runs) and starts its next incarnation, as a restarted process
   * would come back: the same id and address, a new handler.
   */
  restart(node: ConformanceNode, handler: PeerHandler): Promise<ConformanceNode>;
  /** An address no node listens at. */
  nowhere(): Promise<string>;
  /** The time request timeouts run on; polls measure and wait in it. */
  readonly time: PollTime;
  /** Awaits p, driving whatever time the transports need; fails if p has not settled within maxMs of it. */
  settle<T>(p: Promise<T>, maxMs: number): Promise<T>;
  /**
   * Called once every node is stopped and every request settled: what is still open (timers,
   * sockets, scheduled events), waiting within a deadline for what is closing. Empty if nothing.
   */
  leftovers(): Promise<string[]>;
  /** Stops every node it started (after each test, whatever the test did). */
  dispose(): Promise<void>;
}

export interface TransportCapabilities {
  /**
   * Requests from one node to one peer reach the peer's handler in the order they were sent. The
   * interface promises no order; the WebSocket transport keeps it (one connection, one outbox) and
   * so does the memory network (one queue of turns), while the simulator draws each message's
   * delay on its own, so it reorders on purpose: code above the seam must not rely on order.
   */
  inOrderDelivery: boolean;
}

export interface TransportFactory {
  capabilities: TransportCapabilities;
  create(): Promise<TransportHarness> | TransportHarness;
}

/** A request timeout that must never be what ends a request in these tests. */
const LONG_MS = 60_000;
/** "Promptly": a failure arrives within this much of the harness's time, well before LONG_MS. */
const PROMPT_MS = 5_000;
/** The timeout of the request that is meant to time out. */
const SHORT_MS = 100;

type Failure = PeerError & { remoteCode?: string };

/**
 * Marks a request the test will await later as observed, so that it failing in the meantime (while
 * the test stops a node) is not reported as an unhandled rejection; awaiting it still fails.
 */
function observed<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** A node whose handler the test can swap at any time (the transport's is set once, before start). */
class Peer {
  handle: PeerHandler = echo;
  node!: ConformanceNode;
  get id(): string {
    return this.node.id;
  }
  get address(): string {
    return this.node.address;
  }
  get t(): PeerTransport {
    return this.node.transport;
  }
}

const echo: PeerHandler = (from, body) => ({ type: T.Pong, n: body.n, from: from.id, fromAddress: from.address });

/** A handler that answers only when the test says. */
function holding(): { handler: PeerHandler; held: { body: PeerBody; answer(b: PeerBody): void }[] } {
  const held: { body: PeerBody; answer(b: PeerBody): void }[] = [];
  return { held, handler: (_from, body) => new Promise<PeerBody>((answer) => held.push({ body, answer })) };
}

/** A body of every kind of value the interface allows, except maps (see below the first test). */
function everyKind(): PeerBody {
  return {
    type: T.Ping, n: 7, negative: -(2 ** 40), float: 0.25, maxSafe: Number.MAX_SAFE_INTEGER,
    text: 'clé-ключ-鍵-🔑', empty: '', yes: true, no: false, none: null,
    bytes: Uint8Array.from({ length: 4096 }, (_, i) => (i * 31) & 0xff), noBytes: new Uint8Array(0),
    list: [1, 'two', [3, { four: 4 }], new Uint8Array([5, 6])], nested: { deep: { er: [true, -0.5] } },
  };
}

/** Bytes as arrays of numbers, so a Buffer (the wire's) and a Uint8Array compare equal by content. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: [...v] };
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

export function runTransportConformance(name: string, factory: TransportFactory): void {
  describe(`PeerTransport conformance: ${name}`, () => {
    let h: TransportHarness;

    beforeEach(async () => {
      h = await factory.create();
    });

    afterEach(async () => {
      await h.dispose();
    });

    async function peer(id: string, handle: PeerHandler = echo): Promise<Peer> {
      const p = new Peer();
      p.handle = handle;
      p.node = await h.start(id, (from, body) => p.handle(from, body));
      return p;
    }

    async function restart(p: Peer, handle: PeerHandler): Promise<void> {
      p.handle = handle;
      p.node = await h.restart(p.node, (from, body) => p.handle(from, body));
    }

    const reply = (p: Promise<PeerBody>) => h.settle(p, PROMPT_MS);

    /** The PeerError p rejects with, within PROMPT_MS; anything else fails the test. */
    async function failure(p: Promise<unknown>): Promise<Failure> {
      try {
        await h.settle(p, PROMPT_MS);
      } catch (err) {
        if (err instanceof PeerError) return err as Failure;
        throw err;
      }
      throw new Error('expected the request to fail, and it was answered');
    }

    function expectCode(err: Failure, cls: typeof PeerUnavailableError | typeof PeerTimeoutError | typeof PeerRemoteError): void {
      expect([err.constructor.name, err.code]).toEqual([cls.name, cls.code]);
    }

    const eventually = <R>(what: string, probe: () => R | false | undefined | Promise<R | false | undefined>) =>
      pollUntil(what, probe, { time: h.time, timeoutMs: PROMPT_MS, intervalMs: 10 });

    const ping = (n: number): PeerBody => ({ type: T.Ping, n });

    test('request and reply carry every kind of value, both ways, and the handler sees who sent it', async () => {
      let seen: PeerBody | undefined;
      const b = await peer('node-b', (from, body) => {
        seen = body;
        return { type: T.Pong, got: body, from: from.id, fromAddress: from.address, bytes: Uint8Array.from(body.bytes as Uint8Array).reverse() };
      });
      const a = await peer('node-a');
      const sent = everyKind();
      const expected = plain(sent);
      const pending = a.t.request(b.address, sent, LONG_MS);
      // The body is taken when request() is called: changing it afterwards changes nothing sent.
      sent.n = -1;
      (sent.bytes as Uint8Array).fill(0);
      const r = await reply(pending);
      expect(seen).not.toBe(sent);
      expect(plain(seen)).toEqual(expected);
      expect(seen!.bytes).toBeInstanceOf(Uint8Array);
      expect(r.type).toBe(T.Pong);
      expect(plain(r.got)).toEqual(expected);
      expect(r.bytes).toBeInstanceOf(Uint8Array);
      expect([...(r.bytes as Uint8Array)]).toEqual([...(everyKind().bytes as Uint8Array)].reverse());
      expect([r.from, r.fromAddress]).toEqual(['node-a', a.address]);
      // The other way, over whatever the first request set up.
      expect(await reply(b.t.request(a.address, ping(2), LONG_MS))).toEqual({ type: T.Pong, n: 2, from: 'node-b', fromAddress: b.address });
    });

    // Not asserted, because the implementations differ where the interface says nothing: a Map in
    // a body (the wire, and so the memory network, turns it into a plain object; the simulator's
    // structuredClone keeps the Map), peerIdAt of a peer not contacted yet (the simulator knows
    // every registered node), a request before start() (the simulator sends it), a node with no
    // handler or a handler returning something without a numeric type (the interface asks for a
    // handler set before start() that returns a PeerBody).

    test('a request to its own address is answered by its own handler', async () => {
      const a = await peer('node-a');
      expect(await reply(a.t.request(a.address, ping(5), LONG_MS))).toEqual({ type: T.Pong, n: 5, from: 'node-a', fromAddress: a.address });
    });

    test('after a round trip the peer\'s id is known and it counts as connected; an address with no node is neither', async () => {
      const a = await peer('node-a');
      const b = await peer('node-b');
      const nowhere = await h.nowhere();
      await reply(a.t.request(b.address, ping(1), LONG_MS));
      expect(a.t.peerIdAt(b.address)).toBe('node-b');
      expect(a.t.isConnected(b.address)).toBe(true);
      expect(a.t.peerIdAt(a.address)).toBe('node-a');
      expect(a.t.peerIdAt(nowhere)).toBeUndefined();
      expect(a.t.isConnected(nowhere)).toBe(false);
    });

    test('an address where no node listens: PEER_UNAVAILABLE promptly, not a hang until the timeout', async () => {
      const a = await peer('node-a');
      const b = await peer('node-b');
      const nowhere = await h.nowhere();
      const err = await failure(a.t.request(nowhere, ping(1), LONG_MS));
      expectCode(err, PeerUnavailableError);
      expect(err.retryable).toBe(true);
      // Still fine with everyone else.
      expect((await reply(a.t.request(b.address, ping(2), LONG_MS))).n).toBe(2);
    });

    test('a handler that does not answer: PEER_TIMEOUT; its late answer goes nowhere and the peer keeps serving', async () => {
      const a = await peer('node-a');
      const { handler, held } = holding();
      const b = await peer('node-b', handler);
      const err = await failure(a.t.request(b.address, ping(1), SHORT_MS));
      expectCode(err, PeerTimeoutError);
      expect(held.map((x) => x.body.n)).toEqual([1]);
      b.handle = echo;
      held[0].answer({ type: T.Pong, n: 'late' });
      // The next request gets its own reply, not the late one.
      expect((await reply(a.t.request(b.address, ping(2), LONG_MS))).n).toBe(2);
    });

    test.each<[string, PeerHandler, string, string]>([
      ['throws an error with a code', () => { throw Object.assign(new Error('disk on fire'), { code: 'DISK_FULL' }); }, 'DISK_FULL', 'disk on fire'],
      ['rejects with an error with a code', async () => { throw Object.assign(new Error('not mine'), { code: 'NOT_OWNER' }); }, 'NOT_OWNER', 'not mine'],
      ['throws an error without a code', () => { throw new Error('oops'); }, InternalError.code, 'oops'],
      ['throws a TypeError', () => { throw new TypeError('not bytes'); }, InternalError.code, 'not bytes'],
      ['throws a code the wire does not take', () => { throw Object.assign(new Error('odd'), { code: 'lower-case' }); }, InternalError.code, 'odd'],
    ])('a handler that %s: PEER_REMOTE with its code and message, and the peer keeps serving', async (_name, failing, remoteCode, message) => {
      const a = await peer('node-a');
      const b = await peer('node-b', failing);
      const err = await failure(a.t.request(b.address, ping(1), LONG_MS));
      expectCode(err, PeerRemoteError);
      expect(err.remoteCode).toBe(remoteCode);
      expect(err.message).toContain(message);
      b.handle = echo;
      expect((await reply(a.t.request(b.address, ping(2), LONG_MS))).n).toBe(2);
    });

    test('many concurrent requests from two callers and both ways, answered out of order: each gets its own reply, once', async () => {
      const N = 100;
      const handled = new Map<string, number>();
      const count = (from: string, n: unknown) => handled.set(`${from}>${n}`, (handled.get(`${from}>${n}`) ?? 0) + 1);
      // b holds every request until all 2N have arrived, then answers them last to first.
      const held: { from: string; body: PeerBody; answer(x: PeerBody): void }[] = [];
      const b = await peer('node-b', (from, body) => new Promise<PeerBody>((answer) => {
        count(`${from.id}>b`, body.n);
        held.push({ from: from.id, body, answer });
        if (held.length === 2 * N) {
          for (const x of [...held].reverse()) x.answer({ type: T.Pong, n: x.body.n, to: x.from, tag: x.body.tag });
        }
      }));
      const answerAtOnce = (self: string): PeerHandler => (from, body) => {
        count(`${from.id}>${self}`, body.n);
        return { type: T.Pong, n: body.n, to: from.id, tag: body.tag };
      };
      const a = await peer('node-a', answerAtOnce('a'));
      const c = await peer('node-c', answerAtOnce('c'));
      const tag = (who: string, i: number) => Buffer.from(`${who}:${i}:`.repeat(1 + (i % 7)));
      const send = (from: Peer, to: Peer, i: number) =>
        from.t.request(to.address, { type: T.Ping, n: i, tag: tag(from.id, i) }, LONG_MS);
      const ids = Array.from({ length: N }, (_, i) => i);
      const all = Promise.all([
        Promise.all(ids.map((i) => send(a, b, i))),
        Promise.all(ids.map((i) => send(c, b, i))),
        Promise.all(ids.map((i) => send(b, a, i))),
      ]);
      const [fromA, fromC, fromB] = await h.settle(all, 2 * PROMPT_MS);
      for (const [replies, who] of [[fromA, 'node-a'], [fromC, 'node-c'], [fromB, 'node-b']] as const) {
        expect(replies.map((r) => [r.n, r.to, Buffer.from(r.tag as Uint8Array).toString()])).toEqual(ids.map((i) => [i, who, tag(who, i).toString()]));
      }
      expect(handled.size).toBe(3 * N);
      expect([...handled.values()].every((n) => n === 1)).toBe(true);
    });

    // Only where the transport keeps order (see TransportCapabilities.inOrderDelivery).
    if (factory.capabilities.inOrderDelivery) test('requests from one node reach the peer\'s handler in the order they were sent', async () => {
      const arrived: unknown[] = [];
      const b = await peer('node-b', (from, body) => {
        arrived.push(body.n);
        return echo(from, body);
      });
      const a = await peer('node-a');
      const ids = Array.from({ length: 50 }, (_, i) => i);
      await h.settle(Promise.all(ids.map((i) => a.t.request(b.address, ping(i), LONG_MS))), PROMPT_MS);
      expect(arrived).toEqual(ids);
    });

    test('stop(): its requests in flight and any after it fail with PEER_UNAVAILABLE; stopping again is harmless; the peer serves others', async () => {
      const a = await peer('node-a');
      const c = await peer('node-c');
      const { handler, held } = holding();
      const b = await peer('node-b', handler);
      const inFlight = observed(a.t.request(b.address, ping(1), LONG_MS));
      await eventually('the request to reach b', () => held.length === 1);
      await h.settle(a.t.stop(), PROMPT_MS);
      expectCode(await failure(inFlight), PeerUnavailableError);
      expectCode(await failure(a.t.request(b.address, ping(2), LONG_MS)), PeerUnavailableError);
      expectCode(await failure(a.t.request(a.address, ping(3), LONG_MS)), PeerUnavailableError);
      await h.settle(Promise.all([a.t.stop(), a.t.stop()]), PROMPT_MS);
      // b answers the stopped caller (nothing may come of it) and goes on serving.
      held[0].answer({ type: T.Pong, n: 1 });
      b.handle = echo;
      expect((await reply(c.t.request(b.address, ping(4), LONG_MS))).n).toBe(4);
    });

    test('a peer that stops while our request waits for its answer: PEER_UNAVAILABLE promptly, its answer never arrives', async () => {
      const a = await peer('node-a');
      const { handler, held } = holding();
      const b = await peer('node-b', handler);
      const inFlight = observed(a.t.request(b.address, ping(1), LONG_MS));
      await eventually('the request to reach b', () => held.length === 1);
      await h.settle(b.t.stop(), PROMPT_MS);
      held[0].answer({ type: T.Pong, n: 1 });
      expectCode(await failure(inFlight), PeerUnavailableError);
      await eventually('a to see b gone', () => !a.t.isConnected(b.address));
      expectCode(await failure(a.t.request(b.address, ping(2), LONG_MS)), PeerUnavailableError);
    });

    test('a peer that stops while its handler still holds our request: PEER_UNAVAILABLE promptly, not the timeout', async () => {
      const a = await peer('node-a');
      const { handler, held } = holding();
      const b = await peer('node-b', handler);
      const inFlight = observed(a.t.request(b.address, ping(1), LONG_MS));
      await eventually('the request to reach b', () => held.length === 1);
      await h.settle(b.t.stop(), PROMPT_MS);
      expectCode(await failure(inFlight), PeerUnavailableError);
    });

    test('a restarted peer (same id, same address) is reached again', async () => {
      const a = await peer('node-a');
      const b = await peer('node-b');
      expect((await reply(a.t.request(b.address, ping(1), LONG_MS))).n).toBe(1);
      await h.settle(b.t.stop(), PROMPT_MS);
      await eventually('a to see b gone', () => !a.t.isConnected(b.address));
      expectCode(await failure(a.t.request(b.address, ping(2), LONG_MS)), PeerUnavailableError);
      await restart(b, (_from, body) => ({ type: T.Pong, n: body.n, incarnation: 2 }));
      // A transport may back off after a failed dial: retry until it dials again.
      const r = await eventually('a request to the restarted b to be answered', async () => {
        try {
          return await h.settle(a.t.request(b.address, ping(3), LONG_MS), PROMPT_MS);
        } catch (err) {
          if (err instanceof PeerUnavailableError) return undefined;
          throw err;
        }
      });
      expect(r).toEqual({ type: T.Pong, n: 3, incarnation: 2 });
      expect(a.t.peerIdAt(b.address)).toBe('node-b');
      expect(a.t.isConnected(b.address)).toBe(true);
      // And the restarted b reaches a.
      expect((await reply(b.t.request(a.address, ping(4), LONG_MS))).n).toBe(4);
    });

    test('once every node has stopped, nothing is left open: no timers, no sockets, nothing scheduled', async () => {
      const a = await peer('node-a');
      const b = await peer('node-b');
      const nowhere = await h.nowhere();
      await reply(a.t.request(b.address, ping(1), LONG_MS));
      await reply(b.t.request(a.address, ping(2), LONG_MS));
      await reply(a.t.request(a.address, ping(3), LONG_MS));
      expectCode(await failure(a.t.request(nowhere, ping(4), LONG_MS)), PeerUnavailableError);
      b.handle = () => new Promise<PeerBody>(() => undefined);
      expectCode(await failure(a.t.request(b.address, ping(5), SHORT_MS)), PeerTimeoutError);
      b.handle = () => { throw Object.assign(new Error('no'), { code: 'NOPE' }); };
      expectCode(await failure(a.t.request(b.address, ping(6), LONG_MS)), PeerRemoteError);
      await h.settle(Promise.all([a.t.stop(), b.t.stop()]), PROMPT_MS);
      expect(await h.leftovers()).toEqual([]);
    });
  });
}
