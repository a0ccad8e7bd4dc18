// The WebSocket peer transport between real sockets on 127.0.0.1 (free ports only).
import { afterEach, describe, expect, test } from '@jest/globals';
import WebSocket from 'ws';
import { CloseCode, FrameType, encodeControlFrame } from '../../src/peer/frame-codec.js';
import type { PeerBody } from '../../src/peer/transport.js';
import { WARN, captureLogger, ping, rejectionOf, startTransport, stopTransports } from './peer-test-kit.js';
import { ManualClock } from '../../../../test/support/manual-clock.js';
import { pollUntil } from '../../../../test/support/poll.js';

afterEach(stopTransports);

describe('request and reply', () => {
  test('both directions share one connection and see each other\'s identity', async () => {
    const a = await startTransport('node-a');
    const b = await startTransport('node-b');
    const seen: string[] = [];
    for (const t of [a, b]) t.setHandler((from, body) => {
      seen.push(`${from.id}@${from.address}`);
      return { type: 2, got: body.n };
    });
    expect(await a.request(b.advertisedAddress, ping(1), 2000)).toEqual({ type: 2, got: 1 });
    expect(await b.request(a.advertisedAddress, ping(2), 2000)).toEqual({ type: 2, got: 2 });
    expect(seen).toEqual([`node-a@${a.advertisedAddress}`, `node-b@${b.advertisedAddress}`]);
    expect(a.dials + b.dials).toBe(1);
    expect(a.connectionCount).toBe(1);
    expect(b.connectionCount).toBe(1);
    expect(a.peerIdAt(b.advertisedAddress)).toBe('node-b');
    expect(b.peerIdAt(a.advertisedAddress)).toBe('node-a');
    expect(a.isConnected(b.advertisedAddress)).toBe(true);
    expect(a.isConnected('127.0.0.1:1')).toBe(false);
  });

  test('Uint8Array fields round trip as bytes, byte for byte', async () => {
    const a = await startTransport('node-a');
    const b = await startTransport('node-b');
    b.setHandler((_from, body) => ({ type: 2, back: body.bytes, nested: { list: [body.bytes, new Uint8Array(0)] } }));
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    const reply = await a.request(b.advertisedAddress, { type: 1, bytes }, 2000);
    expect(reply.back).toBeInstanceOf(Uint8Array);
    expect(Buffer.compare(reply.back as Uint8Array, bytes)).toBe(0);
    const nested = reply.nested as { list: Uint8Array[] };
    expect(nested.list[0]).toBeInstanceOf(Uint8Array);
    expect(nested.list[1]).toBeInstanceOf(Uint8Array);
    expect((nested.list[1] as Uint8Array).length).toBe(0);
  });

  test('a request to its own address runs the local handler', async () => {
    const a = await startTransport('node-a');
    a.setHandler((from, body) => ({ type: 2, from: from.id, n: body.n }));
    expect(await a.request(a.advertisedAddress, ping(5), 1000)).toEqual({ type: 2, from: 'node-a', n: 5 });
    expect(a.dials).toBe(0);
  });

  test('10k concurrent requests go out in far fewer frames', async () => {
    const a = await startTransport('node-a');
    const b = await startTransport('node-b');
    b.setHandler((_from, body) => ({ type: 2, n: body.n }));
    await a.request(b.advertisedAddress, ping(), 2000);
    const before = { ...a.stats };
    const replies = await Promise.all(Array.from({ length: 10_000 }, (_, i) => a.request(b.advertisedAddress, ping(i), 10_000)));
    expect(replies.map((r) => r.n)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(a.stats.messagesSent - before.messagesSent).toBe(10_000);
    expect(a.stats.framesSent - before.framesSent).toBeLessThan(20);
    expect(b.stats.framesSent).toBeLessThan(200);
  });
});

describe('failures', () => {
  test('a handler that throws gives PEER_REMOTE with its code; the node keeps serving', async () => {
    const a = await startTransport('node-a');
    const b = await startTransport('node-b');
    b.setHandler((_from, body) => {
      if (body.n === 1) throw Object.assign(new Error('no such partition'), { code: 'PARTITION_NOT_OWNED' });
      if (body.n === 2) return Promise.reject(new Error('plain failure'));
      if (body.n === 3) throw 'a string';
      if (body.n === 5) return undefined as unknown as PeerBody;
      return { type: 2 };
    });
    const e1 = await rejectionOf(a.request(b.advertisedAddress, ping(1), 2000));
    expect(e1.code).toBe('PEER_REMOTE');
    expect(e1.remoteCode).toBe('PARTITION_NOT_OWNED');
    expect(e1.message).toContain('no such partition');
    const e2 = await rejectionOf(a.request(b.advertisedAddress, ping(2), 2000));
    expect([e2.code, e2.remoteCode]).toEqual(['PEER_REMOTE', 'INTERNAL']);
    const e3 = await rejectionOf(a.request(b.advertisedAddress, ping(3), 2000));
    expect(e3.remoteCode).toBe('INTERNAL');
    const e5 = await rejectionOf(a.request(b.advertisedAddress, ping(5), 2000));
    expect(e5.remoteCode).toBe('PEER_BAD_REPLY');
    expect(await a.request(b.advertisedAddress, ping(4), 2000)).toEqual({ type: 2 });
  });

  test('no reply within the timeout gives PEER_TIMEOUT (clock-driven)', async () => {
    const clock = new ManualClock();
    const a = await startTransport('node-a', { clock });
    const b = await startTransport('node-b');
    let received = 0;
    b.setHandler(() => {
      received++;
      return new Promise<PeerBody>(() => undefined);
    });
    const p = a.request(b.advertisedAddress, ping(), 1500);
    await pollUntil('the request to arrive', () => received === 1);
    clock.advance(1499);
    clock.advance(1);
    const err = await rejectionOf(p);
    expect(err.code).toBe('PEER_TIMEOUT');
    expect(a.isConnected(b.advertisedAddress)).toBe(true);
  });

  test('an address that cannot be dialed fails with PEER_UNAVAILABLE, not a throw', async () => {
    const a = await startTransport('node-a');
    expect((await rejectionOf(a.request('not a host:1', ping(), 1000))).code).toBe('PEER_UNAVAILABLE');
  });

  test('a message above the frame limit is refused before it is sent', async () => {
    const a = await startTransport('node-a', { maxFrameBytes: 4096 });
    const b = await startTransport('node-b');
    const err = await rejectionOf(a.request(b.advertisedAddress, { type: 1, big: new Uint8Array(5000) }, 1000));
    expect(err.code).toBe('PEER_MESSAGE_TOO_LARGE');
    expect(a.dials).toBe(0);
  });

  test('wrong secret: refused both ways, logged at warn on both sides, not retried in a tight loop', async () => {
    const logA = captureLogger('warn');
    const logB = captureLogger('warn');
    const a = await startTransport('node-a', { secret: 'secret-one', logger: logA.logger, backoffBaseMs: 60_000, backoffMaxMs: 60_000 });
    const b = await startTransport('node-b', { secret: 'secret-two', logger: logB.logger, backoffBaseMs: 60_000, backoffMaxMs: 60_000 });
    const e1 = await rejectionOf(a.request(b.advertisedAddress, ping(), 2000));
    expect(e1.code).toBe('PEER_HANDSHAKE_REFUSED');
    const e2 = await rejectionOf(b.request(a.advertisedAddress, ping(), 2000));
    expect(e2.code).toBe('PEER_HANDSHAKE_REFUSED');
    await pollUntil('both sides to log both refusals', () => logA.lines.length >= 2 && logB.lines.length >= 2);
    for (const { lines } of [logA, logB]) {
      expect(lines.every((l) => l.level === WARN && l.msg === 'peer handshake refused')).toBe(true);
      expect(lines.some((l) => String(l.reason).includes('cluster secret'))).toBe(true);
    }
    // Backing off: the next request fails at once without dialing again.
    const dials = a.dials;
    const e3 = await rejectionOf(a.request(b.advertisedAddress, ping(), 2000));
    expect(e3.code).toBe('PEER_HANDSHAKE_REFUSED');
    expect(a.dials).toBe(dials);
    expect(a.connectionCount + b.connectionCount).toBe(0);
  });

  test('a peer speaking another protocol version is refused with the reason', async () => {
    const log = captureLogger('warn');
    const a = await startTransport('node-a', { logger: log.logger });
    const ws = new WebSocket(`ws://${a.advertisedAddress}/`);
    await new Promise((r) => ws.once('open', r));
    ws.send(encodeControlFrame(FrameType.Hello, { v: 999, id: 'future', address: '127.0.0.1:1', nonce: new Uint8Array(32) }));
    const [code, reason] = await new Promise<[number, string]>((r) => ws.once('close', (c, why) => r([c, why.toString()])));
    expect(code).toBe(CloseCode.HandshakeRefused);
    expect(reason).toContain('protocol version 999');
    await pollUntil('the refusal to be logged', () => log.lines.some((l) => l.level === WARN && String(l.reason).includes('protocol version')));
  });

  test('connection lost mid-flight rejects in-flight requests with PEER_UNAVAILABLE', async () => {
    const a = await startTransport('node-a');
    const b = await startTransport('node-b');
    let received = 0;
    b.setHandler(() => {
      received++;
      return new Promise<PeerBody>(() => undefined);
    });
    const pending = Array.from({ length: 5 }, (_, i) => rejectionOf(a.request(b.advertisedAddress, ping(i), 30_000)));
    await pollUntil('the requests to arrive', () => received === 5);
    await b.stop();
    for (const err of await Promise.all(pending)) expect(err.code).toBe('PEER_UNAVAILABLE');
    await pollUntil('a to notice', () => !a.isConnected(b.advertisedAddress));
  });
});

describe('connections', () => {
  test('simultaneous dials keep exactly one connection per side, and no request fails', async () => {
    for (let round = 0; round < 8; round++) {
      const logA = captureLogger('info');
      const logB = captureLogger('info');
      const a = await startTransport(`a${round}`, { logger: logA.logger });
      const b = await startTransport(`b${round}`, { logger: logB.logger });
      const replies = await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => a.request(b.advertisedAddress, ping(i), 5000)),
        ...Array.from({ length: 20 }, (_, i) => b.request(a.advertisedAddress, ping(i), 5000)),
      ]);
      expect(replies).toHaveLength(40);
      expect(a.dials).toBeGreaterThanOrEqual(1); // both sides dialed in the same turn
      expect(b.dials).toBeGreaterThanOrEqual(1);
      expect(a.connectionCount).toBe(1);
      expect(b.connectionCount).toBe(1);
      await pollUntil('the losing connection to close', () => a.openSockets === 1 && b.openSockets === 1);
      // The kept connection is the one the smaller id (a) dialed, on both sides.
      const connected = (lines: typeof logA.lines) => lines.filter((l) => l.msg === 'peer connected').map((l) => l.dialedByUs);
      expect(connected(logA.lines)).toEqual([true]);
      expect(connected(logB.lines)).toEqual([false]);
      // A later exchange reuses that connection in both directions.
      const dials = a.dials + b.dials;
      await Promise.all([a.request(b.advertisedAddress, ping(), 2000), b.request(a.advertisedAddress, ping(), 2000)]);
      expect(a.dials + b.dials).toBe(dials);
      await stopTransports();
    }
  });

  test('a restarted peer is reached again once the backoff has passed', async () => {
    const clock = new ManualClock();
    const a = await startTransport('node-a', { clock, backoffBaseMs: 100, backoffMaxMs: 1000 });
    let b = await startTransport('node-b');
    const addr = b.advertisedAddress;
    await a.request(addr, ping(), 2000);
    await b.stop();
    await pollUntil('a to see the connection drop', () => !a.isConnected(addr));
    const e1 = await rejectionOf(a.request(addr, ping(), 2000));
    expect(e1.code).toBe('PEER_UNAVAILABLE');
    const dials = a.dials;
    const e2 = await rejectionOf(a.request(addr, ping(), 2000));
    expect(e2.code).toBe('PEER_UNAVAILABLE');
    expect(e2.message).toContain('backing off');
    expect(a.dials).toBe(dials);
    b = await startTransport('node-b', { listen: { host: '127.0.0.1', port: Number(addr.split(':')[1]) }, advertise: addr });
    expect((await rejectionOf(a.request(addr, ping(), 2000))).code).toBe('PEER_UNAVAILABLE'); // still backing off
    clock.advance(1000);
    expect(await a.request(addr, ping(7), 2000)).toEqual({ type: 2, echo: ping(7) });
    expect(a.peerIdAt(addr)).toBe('node-b');
  });

  test('stop() fails what is in flight, is idempotent and leaves nothing open', async () => {
    const baseline = openHandles();
    const a = await startTransport('node-a');
    const b = await startTransport('node-b');
    b.setHandler(() => new Promise<PeerBody>(() => undefined));
    const p = rejectionOf(a.request(b.advertisedAddress, ping(), 30_000));
    await pollUntil('the request to leave', () => a.stats.framesSent > 0);
    await Promise.all([a.stop(), a.stop()]);
    await a.stop();
    expect((await p).code).toBe('PEER_UNAVAILABLE');
    expect((await rejectionOf(a.request(b.advertisedAddress, ping(), 1000))).code).toBe('PEER_UNAVAILABLE');
    await b.stop();
    await pollUntil('sockets and servers to close', () => openHandles() <= baseline);
  });
});

function openHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap' || r === 'Immediate').length;
}
