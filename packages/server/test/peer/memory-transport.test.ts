// The in-memory transport: the same contract as the WebSocket one, without sockets.
import { describe, expect, test } from '@jest/globals';
import { MemoryNetwork } from '../../src/peer/memory-transport.js';
import type { PeerBody } from '../../src/peer/transport.js';
import { ping, rejectionOf } from './peer-test-kit.js';
import { ManualClock } from '../../../../test/support/manual-clock.js';

async function pair(clock = new ManualClock()) {
  const net = new MemoryNetwork({ clock });
  const a = net.transport('node-a', 'a:1');
  const b = net.transport('node-b', 'b:1');
  for (const t of [a, b]) {
    t.setHandler((from, body) => ({ type: 2, from: from.id, n: body.n }));
    await t.start();
  }
  return { net, a, b, clock };
}

describe('MemoryNetwork', () => {
  test('request and reply both ways, with the sender identity, on a later turn', async () => {
    const { a, b } = await pair();
    let sync = true;
    const p = a.request('b:1', ping(1), 1000);
    sync = false;
    b.setHandler((from, body) => {
      expect(sync).toBe(false);
      return { type: 2, from: `${from.id}@${from.address}`, n: body.n };
    });
    expect(await p).toEqual({ type: 2, from: 'node-a@a:1', n: 1 });
    expect(await b.request('a:1', ping(2), 1000)).toEqual({ type: 2, from: 'node-b', n: 2 });
    expect(a.peerIdAt('b:1')).toBe('node-b');
    expect(a.peerIdAt('c:1')).toBeUndefined();
    expect(a.isConnected('b:1')).toBe(true);
    expect(a.isConnected('c:1')).toBe(false);
  });

  test('bodies pass through the wire encoding (Uint8Array stays bytes, no shared objects)', async () => {
    const { a, b } = await pair();
    let seen: PeerBody | undefined;
    b.setHandler((_from, body) => {
      seen = body;
      return { type: 2, bytes: body.bytes };
    });
    const sent = { type: 1, bytes: new Uint8Array([1, 2, 3]), nested: { x: 1 } };
    const reply = await a.request('b:1', sent, 1000);
    expect(seen).not.toBe(sent);
    expect(seen!.nested).toEqual({ x: 1 });
    expect(reply.bytes).toBeInstanceOf(Uint8Array);
    expect([...(reply.bytes as Uint8Array)]).toEqual([1, 2, 3]);
  });

  test('handler errors become PEER_REMOTE with the remote code', async () => {
    const { a, b } = await pair();
    b.setHandler(() => { throw Object.assign(new Error('nope'), { code: 'SOME_CODE' }); });
    const err = await rejectionOf(a.request('b:1', ping(), 1000));
    expect([err.code, err.remoteCode]).toEqual(['PEER_REMOTE', 'SOME_CODE']);
  });

  test('down nodes: requests fail, in-flight requests fail at once, and recover when up', async () => {
    const { net, a, b } = await pair();
    b.setHandler(() => new Promise<PeerBody>(() => undefined));
    const inFlight = rejectionOf(a.request('b:1', ping(), 60_000));
    await new Promise((r) => setImmediate(r));
    net.setDown('b:1', true);
    expect((await inFlight).code).toBe('PEER_UNAVAILABLE');
    expect((await rejectionOf(a.request('b:1', ping(), 1000))).code).toBe('PEER_UNAVAILABLE');
    expect((await rejectionOf(b.request('a:1', ping(), 1000))).code).toBe('PEER_UNAVAILABLE');
    expect(a.isConnected('b:1')).toBe(false);
    net.setDown('b:1', false);
    b.setHandler(() => ({ type: 2 }));
    expect(await a.request('b:1', ping(), 1000)).toEqual({ type: 2 });
  });

  test('timeouts follow the injected clock; unknown addresses and stopped nodes are unavailable', async () => {
    const { a, b, clock } = await pair();
    b.setHandler(() => new Promise<PeerBody>(() => undefined));
    const p = a.request('b:1', ping(), 500);
    await new Promise((r) => setImmediate(r));
    clock.advance(500);
    expect((await rejectionOf(p)).code).toBe('PEER_TIMEOUT');
    expect((await rejectionOf(a.request('nowhere:1', ping(), 500))).code).toBe('PEER_UNAVAILABLE');
    await b.stop();
    expect((await rejectionOf(a.request('b:1', ping(), 500))).code).toBe('PEER_UNAVAILABLE');
    expect((await rejectionOf(b.request('a:1', ping(), 500))).code).toBe('PEER_UNAVAILABLE');
  });
});
