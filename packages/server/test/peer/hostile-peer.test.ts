// Issue 14's cases at the transport, each a regression test named for it: real sockets on
// 127.0.0.1, a transport under test, and a hand-driven peer that holds the secret (or not).
import { afterEach, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import {
  FrameType, MessageKind, buildBatchFrame, decodeBatchFrame, decodeControlFrame, encodeControlFrame, encodeMessage,
} from '../../src/peer/frame-codec.js';
import { AcceptorHandshake, DialerHandshake } from '../../src/peer/handshake.js';
import { ping, rejectionOf, startTransport, stopTransports } from './peer-test-kit.js';
import { pollUntil } from '../../../../test/support/poll.js';

const SECRET = 'test-secret';
const open: WebSocket[] = [];
const servers: { server: http.Server; wss: WebSocketServer }[] = [];

afterEach(async () => {
  for (const ws of open.splice(0)) ws.terminate();
  await stopTransports();
  // Upgraded sockets are the WebSocket server's, not the HTTP server's: end them first.
  await Promise.all(servers.splice(0).map(({ server, wss }) => new Promise((r) => {
    for (const c of wss.clients) c.terminate();
    server.close(r);
  })));
});

function connect(address: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://${address}/`, { perMessageDeflate: false });
  open.push(ws);
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const closed = (ws: WebSocket): Promise<{ code: number; reason: string }> =>
  new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));

/** Dials `address` as node `id` advertising `advertise`, completing the handshake with the secret. */
async function authenticated(address: string, id: string, advertise: string, secret = SECRET): Promise<WebSocket> {
  const ws = await connect(address);
  const hs = new DialerHandshake({ id, address: advertise, secret }, (f) => ws.send(f));
  await new Promise<void>((resolve, reject) => {
    const onMessage = (data: Buffer) => {
      const step = hs.onFrame(data);
      if (step.kind === 'established') {
        ws.off('message', onMessage);
        resolve();
      } else if (step.kind === 'refuse') reject(new Error(step.reason));
    };
    ws.on('message', onMessage);
    ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}`)));
    hs.start();
  });
  return ws;
}

/** A WebSocket listener that runs `onSocket` for each connection (a hostile acceptor). */
async function listener(onSocket: (ws: WebSocket) => void): Promise<string> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => { ws.on('error', () => undefined); onSocket(ws); });
  servers.push({ server, wss });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('hostile peers at the transport (issue 14)', () => {
  test('a Hello whose version is a msgpack map {toString: 1} is refused; the node keeps serving', async () => {
    const node = await startTransport('node-a');
    const ws = await connect(node.advertisedAddress);
    const done = closed(ws);
    ws.send(encodeControlFrame(FrameType.Hello, { v: { toString: 1 }, id: 'x', address: 'h:1', nonce: new Uint8Array(32) }));
    expect((await done).code).toBe(4003);
    const b = await startTransport('node-b');
    expect(await b.request(node.advertisedAddress, ping(1), 2000)).toMatchObject({ type: 2 });
  });

  test('a Challenge with such a version, from a listener at a dialed address, fails that dial only (the dialing side does not crash)', async () => {
    const evil = await listener((ws) => {
      ws.once('message', () => ws.send(encodeControlFrame(FrameType.Challenge, {
        v: { toString: 1 }, id: 'evil', address: 'h:1', nonce: new Uint8Array(32), proof: new Uint8Array(32),
      })));
    });
    const node = await startTransport('node-a');
    const err = await rejectionOf(node.request(evil, ping(), 2000));
    expect(err.code).toBe('PEER_HANDSHAKE_REFUSED');
    const b = await startTransport('node-b');
    expect(await node.request(b.advertisedAddress, ping(2), 2000)).toMatchObject({ type: 2 });
  });

  test('an ErrorReply whose code is a map fails its request with PEER_BAD_ERROR_REPLY, and the connection stays up', async () => {
    // A fake peer that answers every request with that error reply.
    const fake = await listener((ws) => {
      const hs = new AcceptorHandshake({ id: 'fake', address: 'fake:1', secret: SECRET }, (f) => ws.send(f), () => undefined, () => undefined);
      let established = false;
      ws.on('message', (data: Buffer) => {
        if (!established) {
          established = hs.onFrame(data).kind === 'established';
          return;
        }
        for (const m of decodeBatchFrame(data)) {
          const reply = encodeMessage(MessageKind.ErrorReply, m.id, { code: { toString: 1 }, message: { valueOf: 2 } });
          ws.send(buildBatchFrame([reply], reply.length));
        }
      });
    });
    const node = await startTransport('node-a');
    const e1 = await rejectionOf(node.request(fake, ping(1), 2000));
    expect([e1.code, e1.remoteCode]).toEqual(['PEER_REMOTE', 'PEER_BAD_ERROR_REPLY']);
    const e2 = await rejectionOf(node.request(fake, ping(2), 2000));
    expect(e2.remoteCode).toBe('PEER_BAD_ERROR_REPLY');
    expect(node.dials).toBe(1);
  });

  test('the first frame is capped before it is decoded: a 6 MB Hello closes the connection, unread', async () => {
    const node = await startTransport('node-a', { maxFrameBytes: 8 * 1024 * 1024 });
    const ws = await connect(node.advertisedAddress);
    const done = closed(ws);
    const heapBefore = process.memoryUsage().heapUsed;
    ws.send(Buffer.concat([Buffer.from([FrameType.Hello]), Buffer.alloc(6_000_000, 0x80)]));
    const { code } = await done;
    // Destroyed past 16 KiB before authentication (1006), or refused as too large a handshake frame.
    expect([1006, 4003, 1009]).toContain(code);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });

  test('a Hello claiming another node\'s address does not tear down that node\'s live link', async () => {
    const a = await startTransport('node-a');
    const b = await startTransport('node-b');
    expect(await b.request(a.advertisedAddress, ping(1), 2000)).toMatchObject({ type: 2 });
    expect(a.connectionCount).toBe(1);
    // An impostor without the secret claims to be node-b at node-b's address.
    const ws = await connect(a.advertisedAddress);
    const done = closed(ws);
    new DialerHandshake({ id: 'node-b', address: b.advertisedAddress, secret: 'wrong' }, (f) => ws.send(f)).start();
    ws.on('message', (data: Buffer) => {
      // Answer the Challenge with a proof made with the wrong secret.
      const fields = decodeControlFrame(data, FrameType.Challenge) as { nonce: Uint8Array };
      void fields;
      ws.send(encodeControlFrame(FrameType.Auth, { proof: new Uint8Array(32) }));
    });
    expect((await done).code).toBe(4001);
    expect(a.connectionCount).toBe(1);
    expect(await b.request(a.advertisedAddress, ping(2), 2000)).toMatchObject({ type: 2 });
    expect(b.dials).toBe(1);
  });

  test('Hellos that never authenticate leave no link behind, and handshakes in flight are capped', async () => {
    const node = await startTransport('node-a', { maxPendingHandshakes: 4 });
    const before = node.linkCount;
    const sockets = await Promise.all(Array.from({ length: 12 }, () => connect(node.advertisedAddress).catch(() => undefined)));
    for (const [i, ws] of sockets.entries()) {
      ws?.send(encodeControlFrame(FrameType.Hello, { v: 1, id: `ghost-${i}`, address: `10.0.0.${i}:7000`, nonce: new Uint8Array(32) }));
    }
    await pollUntil('handshakes beyond the cap to be refused', () => node.handshakesRefused >= 8);
    expect(node.linkCount).toBe(before);
  });

  test('an authenticated guest (not a member) gets a bounded connection and no link', async () => {
    const node = await startTransport('node-a', { classify: () => 'guest', maxGuestConnections: 2 });
    await authenticated(node.advertisedAddress, 'joiner-1', '10.0.0.1:7000');
    await authenticated(node.advertisedAddress, 'joiner-2', '10.0.0.2:7000');
    await expect(authenticated(node.advertisedAddress, 'joiner-3', '10.0.0.3:7000')).rejects.toThrow(/too many connections of nodes that are not members/);
    expect(node.guestCount).toBe(2);
    expect(node.linkCount).toBe(0);
  });

  test('inbound requests of one peer beyond the bound are answered PEER_OVERLOADED at once', async () => {
    const node = await startTransport('node-a', { maxInboundPerConnection: 3 });
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    node.setHandler(async () => {
      await gate;
      return { type: 2 };
    });
    const ws = await authenticated(node.advertisedAddress, 'peer-b', '10.0.0.9:7000');
    const replies: { kind: number; code?: string }[] = [];
    ws.on('message', (data: Buffer) => {
      for (const m of decodeBatchFrame(data)) replies.push({ kind: m.kind, code: (m.body as { code?: string }).code });
    });
    const msgs = Array.from({ length: 5 }, (_, i) => encodeMessage(MessageKind.Request, i + 1, { type: 1 }));
    ws.send(buildBatchFrame(msgs, msgs.reduce((n, m) => n + m.length, 0)));
    await pollUntil('the two requests beyond the bound to be refused', () => replies.length === 2);
    expect(replies).toEqual([{ kind: MessageKind.ErrorReply, code: 'PEER_OVERLOADED' }, { kind: MessageKind.ErrorReply, code: 'PEER_OVERLOADED' }]);
    release();
    await pollUntil('the three held requests to be answered', () => replies.length === 5);
  });

  test('a link idle for linkIdleMs is dropped', async () => {
    const a = await startTransport('node-a', { linkIdleMs: 1000 });
    const b = await startTransport('node-b');
    await a.request(b.advertisedAddress, ping(), 2000);
    expect(a.linkCount).toBe(1);
    // Sweeps run on the transport's clock (the system clock here): poll, no sleep.
    await pollUntil('the idle link to be dropped', () => a.linkCount === 0, { timeoutMs: 10_000 });
    expect(await a.request(b.advertisedAddress, ping(), 2000)).toMatchObject({ type: 2 });
  });
});
