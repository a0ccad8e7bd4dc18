// The fault proxy on its own (delay, blackhole, cut) and the transport behind it: partitions,
// slowness and backpressure end to end.
import { afterEach, describe, expect, test } from '@jest/globals';
import net from 'node:net';
import WebSocket from 'ws';
import { FaultProxy } from '../support/fault-proxy.js';
import { ping, rejectionOf, startTransport, stopTransports } from './peer-test-kit.js';
import { ManualClock } from '../../../../test/support/manual-clock.js';
import { pollUntil } from '../../../../test/support/poll.js';

const proxies: FaultProxy[] = [];
const servers: net.Server[] = [];

afterEach(async () => {
  await stopTransports();
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function proxyTo(target: string): Promise<FaultProxy> {
  const p = await FaultProxy.start({ target });
  proxies.push(p);
  return p;
}

/** A TCP echo server on a free port. */
async function echoServer(): Promise<string> {
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

async function connect(address: string): Promise<net.Socket> {
  const [host, port] = address.split(':');
  const s = net.connect(Number(port), host);
  s.on('error', () => undefined);
  await new Promise((r) => s.once('connect', r));
  return s;
}

describe('fault proxy', () => {
  test('forwards bytes both ways and holds them for the set delay', async () => {
    const p = await proxyTo(await echoServer());
    const s = await connect(p.address);
    s.write('hello');
    expect((await new Promise<Buffer>((r) => s.once('data', r))).toString()).toBe('hello');
    p.setDelayMs(150);
    const sentAt = Date.now();
    s.write('slow');
    expect((await new Promise<Buffer>((r) => s.once('data', r))).toString()).toBe('slow');
    // Both directions are delayed, so the echo takes at least two delays.
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(290);
    s.destroy();
  });

  test('blackhole holds traffic until healed; cutAll resets connections', async () => {
    const echo = await echoServer();
    const p = await proxyTo(echo);
    const s = await connect(p.address);
    let got = '';
    s.on('data', (d: Buffer) => { got += d.toString(); });
    p.blackhole(true);
    s.write('held');
    // A round trip on a direct connection gives the held bytes every chance to come back first.
    const direct = await connect(echo);
    direct.write('probe');
    await new Promise((r) => direct.once('data', r));
    direct.destroy();
    expect(got).toBe('');
    p.blackhole(false);
    await pollUntil('the held bytes after healing', () => got === 'held');
    const closed = new Promise((r) => s.once('close', r));
    p.cutAll();
    await closed;
    expect(p.connectionCount).toBe(0);
  });
});

describe('the transport behind the proxy', () => {
  test('a blackholed peer times out; after healing requests succeed again', async () => {
    const clock = new ManualClock();
    const b = await startTransport('node-b');
    const received: unknown[] = [];
    b.setHandler((_from, body) => {
      received.push(body.n);
      return { type: 2, n: body.n };
    });
    const c = await startTransport('node-c');
    const p = await proxyTo(b.advertisedAddress);
    const a = await startTransport('node-a', { clock });
    expect(await a.request(p.address, ping(1), 1000)).toEqual({ type: 2, n: 1 });
    expect(a.peerIdAt(p.address)).toBe('node-b');
    p.blackhole(true);
    const stuck = a.request(p.address, ping(2), 1000);
    // A full round trip to another node gives the stuck request every chance to arrive first.
    await a.request(c.advertisedAddress, ping(), 1000);
    expect(received).toEqual([1]);
    clock.advance(1000);
    expect((await rejectionOf(stuck)).code).toBe('PEER_TIMEOUT');
    p.blackhole(false);
    expect(await a.request(p.address, ping(3), 1000)).toEqual({ type: 2, n: 3 });
    // TCP delivers what the partition held: the late request reaches B, its reply is dropped.
    expect(received).toEqual([1, 2, 3]);
  });

  test('keepalive pings drop a connection that went silent, failing what is in flight', async () => {
    const clock = new ManualClock();
    const b = await startTransport('node-b');
    const p = await proxyTo(b.advertisedAddress);
    const a = await startTransport('node-a', { clock, pingIntervalMs: 5000 });
    await a.request(p.address, ping(), 60_000);
    p.blackhole(true);
    const stuck = rejectionOf(a.request(p.address, ping(), 60_000));
    clock.advance(5000); // ping sent, never answered
    expect(a.isConnected(p.address)).toBe(true);
    clock.advance(5000);
    expect(a.isConnected(p.address)).toBe(false);
    const err = await stuck;
    expect(err.code).toBe('PEER_UNAVAILABLE');
    expect(err.message).toContain('keepalive');
  });

  test('a peer that dials again replaces the connection we still thought alive', async () => {
    const a = await startTransport('node-a');
    const p = await proxyTo(a.advertisedAddress);
    let b = await startTransport('node-b');
    const bAddr = b.advertisedAddress;
    await b.request(p.address, ping(), 2000); // b -> proxy -> a: a keys it under b's address
    expect(a.isConnected(bAddr)).toBe(true);
    b.setHandler(() => new Promise(() => undefined));
    p.blackhole(true); // the old connection goes half-open: a sees no close
    const stuck = rejectionOf(a.request(bAddr, ping(), 60_000));
    await b.stop();
    b = await startTransport('node-b', { listen: { host: '127.0.0.1', port: Number(bAddr.split(':')[1]) }, advertise: bAddr });
    expect(await b.request(a.advertisedAddress, ping(1), 2000)).toEqual({ type: 2, echo: ping(1) });
    const err = await stuck;
    expect(err.code).toBe('PEER_UNAVAILABLE');
    expect(err.message).toContain('replaced');
    expect(await a.request(bAddr, ping(2), 2000)).toEqual({ type: 2, echo: ping(2) });
    expect(a.connectionCount).toBe(1);
  });

  test('a dial that gets no handshake fails after connectTimeoutMs; so does a silent inbound socket', async () => {
    const clock = new ManualClock();
    const b = await startTransport('node-b', { clock, connectTimeoutMs: 2000 });
    const p = await proxyTo(b.advertisedAddress);
    p.blackhole(true);
    const a = await startTransport('node-a', { clock, connectTimeoutMs: 2000 });
    const dial = rejectionOf(a.request(p.address, ping(), 60_000));
    await pollUntil('the proxy to accept the dial', () => p.accepted === 1);
    const raw = new WebSocket(`ws://${b.advertisedAddress}/`);
    raw.on('error', () => undefined);
    await new Promise((r) => raw.once('open', r));
    const rawClosed = new Promise((r) => raw.once('close', r));
    clock.advance(2000);
    const err = await dial;
    expect(err.code).toBe('PEER_UNAVAILABLE');
    expect(err.message).toContain('no handshake within 2000 ms');
    await rawClosed;
  });

  test('a cut connection fails in-flight requests, and the next request reconnects', async () => {
    const b = await startTransport('node-b');
    let received = 0;
    b.setHandler((_from, body) => {
      received++;
      return body.n === 0 ? new Promise(() => undefined) : { type: 2 };
    });
    const p = await proxyTo(b.advertisedAddress);
    const a = await startTransport('node-a');
    const inFlight = Array.from({ length: 3 }, () => rejectionOf(a.request(p.address, ping(0), 30_000)));
    await pollUntil('the requests to arrive', () => received === 3);
    p.cutAll();
    for (const err of await Promise.all(inFlight)) expect(err.code).toBe('PEER_UNAVAILABLE');
    await pollUntil('a to notice the cut', () => !a.isConnected(p.address));
    expect(await a.request(p.address, ping(1), 2000)).toEqual({ type: 2 });
    expect(a.dials).toBe(2);
  });

  test('requests beyond the bounded queue of a backed-up socket fail with PEER_OVERLOADED', async () => {
    const b = await startTransport('node-b');
    b.setHandler(() => ({ type: 2 }));
    const p = await proxyTo(b.advertisedAddress);
    const a = await startTransport('node-a', { highWaterMarkBytes: 64 * 1024, maxQueuedPerPeer: 4 });
    await a.request(p.address, ping(), 2000);
    p.blackhole(true);
    const value = new Uint8Array(256 * 1024);
    const accepted: Promise<unknown>[] = [];
    let overloaded: (Error & { code?: string }) | undefined;
    // Fill the kernel buffers (the proxy reads nothing), then the socket buffer, then the queue.
    for (let i = 0; i < 400 && !overloaded; i++) {
      const req = a.request(p.address, { type: 1, value }, 60_000);
      const outcome = await Promise.race([req.then(() => undefined, (e: Error) => e), new Promise((r) => setImmediate(r)).then(() => 'pending')]);
      if (outcome === 'pending') accepted.push(req);
      else overloaded = outcome as Error & { code?: string };
      await new Promise((r) => setImmediate(r));
    }
    expect(overloaded?.code).toBe('PEER_OVERLOADED');
    // Healing drains the queue: every accepted request is answered.
    p.blackhole(false);
    await Promise.all(accepted);
    expect(accepted.length).toBeGreaterThan(4);
  });
});
