// Fuzzing a real node's peer port (issue 14, item 10): one real node process (a single-node
// cluster) holds keys written through HTTP; raw WebSocket clients send it, during the handshake,
// random bytes, Hello and Auth frames with wrong fields, a Hello whose version is a map, oversized
// frames, 4 MiB of empty maps and text frames, and, after a real handshake with the secret (as a
// guest: a made-up node id and address that are not members), random batch frames: random kinds,
// ids and bodies, every message type with a field of a wrong type, oversized and deeply nested
// bodies, lying lengths, error replies whose code is a map, replies to requests never sent.
//
// What each case must get is predicted here, not merely "no crash": a frame the node's codec
// cannot walk (decoded locally with the same codec) closes the connection with a protocol error;
// otherwise the connection stays open and every request is answered once: PEER_UNKNOWN_MESSAGE
// or PEER_BAD_MESSAGE when the reference (peer-specs.ts) refuses the body, and for a valid body
// what a guest gets (a Pong, a refused change, PEER_FORBIDDEN). Replies and error replies from the
// client are dropped unanswered. After every case the process is the same, and every few cases
// (and at the end) /health answers 200, the heap stays under its bound and every key still has
// the local value and timestamp it had.
//
// Why a guest and not a fake member: decoding comes before the access check, so every schema is
// exercised either way; a member would also reach the handlers with valid bodies, which is the
// other suites' ground, and faking one means answering the node's Raft, gossip and pings.
//
// CI runs RUNS_HANDSHAKE + RUNS_AFTER cases with seed 14 (RINGKV_FUZZ_RUNS and RINGKV_FUZZ_SEED
// change them; a failure prints the command that replays it).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import net from 'node:net';
import { ANTI_ENTROPY_DEFAULTS } from '../../packages/server/src/anti-entropy/anti-entropy-options.js';
import {
  FrameDecodeError, FrameType, MessageKind, decodeBatchFrame, encodeControlFrame, isPeerBody, readErrorReply,
} from '../../packages/server/src/peer/frame-codec.js';
import { HANDSHAKE_FRAME_MAX_BYTES as HANDSHAKE_FRAME_MAX } from '../../packages/server/src/peer/frame-codec.js';
import { NONCE_BYTES } from '../../packages/server/src/peer/handshake.js';
import { PRE_AUTH_BYTES_MAX as PRE_AUTH_BYTES } from '../../packages/server/src/peer/pre-auth-guard.js';
import { PROTOCOL_VERSION } from '../../packages/server/src/peer/message-types.js';
import { Packr } from 'msgpackr';
import { peerFrameCapBytes } from '../../packages/server/src/protocol/frame-limits.js';
import { PeerProtocol } from '../../packages/server/src/protocol/peer-protocol.js';
import {
  MessageType as T, OPEN_REQUEST_TYPES, address, badArb, bytes, int, messageSpecs, nestedArrays, nodeId, obj, refValid, validArb,
} from '../../packages/server/test/protocol/peer-specs.js';
import { mpDamaged } from '../../packages/server/test/protocol/msgpack-arbitraries.js';
import { freePorts } from '../support/free-port.js';
import { REPLAYING_ONE_CASE, checkProperty } from '../support/fuzz.js';
import { getLocal, putKey } from '../support/cluster.js';
import { RawPeerSocket, handshake, type Closed } from '../support/peer-wire.js';
import { E2E_SECRET, makeNode, stopAll, type NodeProcess } from '../support/processes.js';

const FILE = 'test/fuzz/peer-wire.fuzz.test.ts';
/** Cases per property (RINGKV_FUZZ_RUNS overrides both); the file takes about 35 s on 2 cores. */
const RUNS_HANDSHAKE = 600;
const RUNS_AFTER = 1000;
/** Full checks (health, heap, records) every this many cases (after the one case when replaying a counterexample); the PID is checked after each. */
const CHECK_EVERY = REPLAYING_ONE_CASE ? 1 : 20;
const ANSWER_TIMEOUT_MS = 10_000;

// The node runs with the default limits; the frame cap follows from them as node.ts computes it.
const MiB = 1024 * 1024;
const LIMITS = { partitions: 256, maxKeyBytes: 1024, maxValueBytes: MiB };
const FRAME_CAP_BYTES = peerFrameCapBytes({
  ...LIMITS, streamChunkBytes: MiB, antiEntropyPageBytes: ANTI_ENTROPY_DEFAULTS.pageBytes, treeBuckets: ANTI_ENTROPY_DEFAULTS.buckets, frameTargetBytes: MiB,
});

/**
 * The heap bound: what the node used once started and loaded (`baseline`, about 22 MiB) plus
 * 64 MiB. One case makes the node decode at most a few frames of at most FRAME_CAP_BYTES (about
 * 5 MiB): bins become Buffers off the heap, strings and arrays land on it at a few times their
 * bytes, the guard allows at most one map or array per 6 bytes; the largest bodies generated here
 * (a 3 MiB string, 200,000 one-byte strings, 65,536 indexes) take under 10 MiB each. The bound
 * leaves room for a few such cases not yet collected when /metrics reads the heap (measured: the
 * heap stays within about 12 MiB of the baseline). A decoder without the guard takes 256 MiB for
 * one frame of 4 MiB of empty maps, and a node that kept what it is sent would pass the bound
 * within the run (1,600 cases, hundreds of MiB sent).
 */
const HEAP_HEADROOM_BYTES = 64 * MiB;

const specs = messageSpecs(LIMITS);
const protocol = new PeerProtocol(LIMITS);
const TYPES = Object.keys(specs).map(Number);
// The options of frame-codec.ts, to write bodies exactly as a peer would.
const packr = new Packr({ useRecords: false, copyBuffers: true, structuredClone: false, moreTypes: false, mapsAsObjects: true });

let node: NodeProcess;
let pid: number;
let baselineHeap: number;
const heapSamples: number[] = [];
const records = new Map<string, { body: string; ts: string | null }>();
let guest: { id: string; address: string; secret: string };
const outcomes = new Map<string, number>();
const count = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);

async function heapUsed(): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const m = /^ringkv_process_nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(text);
  if (!m) throw new Error('no ringkv_process_nodejs_heap_size_used_bytes in /metrics');
  return Number(m[1]);
}

function expectSameProcess(): void {
  expect({ running: node.running, pid: node.child?.pid, exit: node.exitCode, signal: node.exitSignal })
    .toEqual({ running: true, pid, exit: null, signal: null });
}

/** The node is the same process, healthy, within its heap bound, and holds every key as it was. */
async function expectNodeIntact(): Promise<void> {
  expectSameProcess();
  expect((await fetch(`${node.url}/health`)).status).toBe(200);
  const heap = await heapUsed();
  heapSamples.push(heap);
  expect(heap).toBeLessThan(baselineHeap + HEAP_HEADROOM_BYTES);
  for (const [key, before] of records) {
    const now = await getLocal(node, key);
    expect([key, now.status, now.body, now.ts]).toEqual([key, 200, before.body, before.ts]);
  }
}

let cases = 0;
async function afterCase(): Promise<void> {
  expectSameProcess();
  if (++cases % CHECK_EVERY === 0) await expectNodeIntact();
}

beforeAll(async () => {
  const [httpPort, peerPort, guestPort] = await freePorts(3);
  node = await makeNode({ id: 'n1', httpPort, peerPort, seeds: [`127.0.0.1:${peerPort}`], secret: E2E_SECRET });
  node.start();
  await node.waitReady();
  pid = node.child!.pid!;
  for (let i = 0; i < 20; i++) {
    const key = `fuzz-key-${i}`;
    expect((await putKey(node, key, `value ${i} ${'v'.repeat(i * 50)}`, '?w=1')).status).toBe(204);
    const got = await getLocal(node, key);
    expect(got.status).toBe(200);
    records.set(key, { body: got.body, ts: got.ts });
  }
  baselineHeap = await heapUsed();
  // A made-up node that is no member; nothing listens at its address (the node never dials guests).
  guest = { id: 'Fz.guest_0', address: `127.0.0.1:${guestPort}`, secret: E2E_SECRET };
}, 60_000);

afterAll(async () => {
  if (heapSamples.length) {
    console.log(`peer-wire fuzz: heap baseline ${(baselineHeap / MiB).toFixed(1)} MiB, max ${(Math.max(...heapSamples) / MiB).toFixed(1)} MiB over ${heapSamples.length} samples; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);
  }
  await stopAll();
});

// ---- during the handshake ----

const helloSpec = obj({ v: int(0, 0xffff), id: nodeId, address, nonce: bytes(NONCE_BYTES, NONCE_BYTES) });
const authSpec = obj({ proof: bytes(32, 32) });
const validHello = () => encodeControlFrame(FrameType.Hello, { v: PROTOCOL_VERSION, id: guest.id, address: guest.address, nonce: Buffer.alloc(NONCE_BYTES, 3) });
const controlFrame = (type: number, fields: unknown): Buffer => {
  try {
    return encodeControlFrame(type as 1, fields as Record<string, unknown>);
  } catch {
    return Buffer.from([type]);
  }
};

/** 4 MiB of empty msgpack maps (an array32 of 0x80 bytes) after a frame-type byte. */
function emptyMaps(type: number, n = 4 * MiB): Buffer {
  const b = Buffer.alloc(6 + n, 0x80);
  b[0] = type;
  b[1] = 0xdd;
  b.writeUInt32BE(n, 2);
  return b;
}

type Payload = Buffer | string;
type HandshakeCase =
  | { k: 'first'; frame: Payload }
  /** A valid Hello, then (after the Challenge) this frame instead of a valid Auth. */
  | { k: 'afterHello'; frame: Payload }
  /** A valid Hello and a second frame at once, not waiting for the Challenge. */
  | { k: 'pipelined'; frame: Payload }
  /** Bytes on the peer port that are no WebSocket upgrade at all. */
  | { k: 'tcp'; bytes: Buffer };

const randomFrame = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.oneof(fc.uint8Array({ maxLength: 200 }), mpDamaged.map((b) => Uint8Array.from(b))))
  .map(([t, b]) => Buffer.concat([Buffer.from([t]), b]));
const anyFirstFrame: fc.Arbitrary<Payload> = fc.oneof(
  { arbitrary: randomFrame, weight: 4 },
  { arbitrary: badArb(helloSpec, { wire: true })!.map((f) => controlFrame(FrameType.Hello, f)), weight: 6 },
  { arbitrary: fc.anything({ maxDepth: 2 }).map((f) => controlFrame(FrameType.Hello, f)), weight: 1 },
  { arbitrary: fc.constantFrom(
    controlFrame(FrameType.Hello, { v: { toString: 1 }, id: 'x', address: 'h:1', nonce: Buffer.alloc(32) }),
    controlFrame(FrameType.Hello, { v: PROTOCOL_VERSION + 1, id: 'x', address: 'h:1', nonce: Buffer.alloc(32) }),
    controlFrame(FrameType.Hello, { v: PROTOCOL_VERSION, id: 'n1', address: 'h:1', nonce: Buffer.alloc(32) }), // this node's own id
    controlFrame(FrameType.Hello, { v: PROTOCOL_VERSION, id: 'x', address: 'h:1', nonce: Buffer.alloc(32), pad: 'p'.repeat(HANDSHAKE_FRAME_MAX) }),
    controlFrame(FrameType.Auth, { proof: Buffer.alloc(32) }), // an Auth first
    Buffer.concat([Buffer.from([FrameType.Batch]), Buffer.alloc(9)]), // a batch before any handshake
    Buffer.alloc(0),
  ), weight: 2 },
  { arbitrary: fc.string({ maxLength: 100 }), weight: 1 }, // a text frame
  { arbitrary: fc.constantFrom(6 * 1000 * 1000, PRE_AUTH_BYTES + 1, HANDSHAKE_FRAME_MAX + 1).map((n) => Buffer.alloc(n, FrameType.Hello)), weight: 1 },
  { arbitrary: fc.constant(null).map(() => emptyMaps(FrameType.Hello)), weight: 1 },
);
const anyAuth: fc.Arbitrary<Payload> = fc.oneof(
  { arbitrary: badArb(authSpec, { wire: true })!.map((f) => controlFrame(FrameType.Auth, f)), weight: 4 },
  { arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((p) => controlFrame(FrameType.Auth, { proof: Buffer.from(p) })), weight: 2 }, // a wrong proof
  { arbitrary: anyFirstFrame, weight: 3 },
  { arbitrary: fc.constant(null).map(() => emptyMaps(FrameType.Auth)), weight: 1 },
);
const handshakeCase: fc.Arbitrary<HandshakeCase> = fc.oneof(
  { arbitrary: anyFirstFrame.map((frame) => ({ k: 'first' as const, frame })), weight: 5 },
  { arbitrary: anyAuth.map((frame) => ({ k: 'afterHello' as const, frame })), weight: 4 },
  { arbitrary: anyAuth.map((frame) => ({ k: 'pipelined' as const, frame })), weight: 1 },
  { arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => ({ k: 'tcp' as const, bytes: Buffer.concat([Buffer.from(b), Buffer.from('\r\n\r\n')]) })), weight: 1 },
);

/** WebSocket framing a client adds to a frame: at most a 14-byte header and a 4-byte mask. */
const WS_FRAMING_BYTES = 18;

/**
 * The close codes a refused handshake frame may end with, by its size (and the bytes the
 * connection sent before it, which count toward the pre-auth cap too).
 */
function refusalCodes(frame: Payload, sentBefore: number): number[] {
  const n = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
  if (n > FRAME_CAP_BYTES) return [1009, 1006]; // over ws maxPayload, or cut off by the pre-auth cap first
  // The pre-auth byte cap destroys the socket, unless the frame was whole (and refused) in the
  // very read that crossed the cap.
  if (sentBefore + n + WS_FRAMING_BYTES > PRE_AUTH_BYTES) return [1006, 4003];
  return [4001, 4003]; // refused (HandshakeRefused) or a protocol error
}

function expectRefusal(closed: Closed, frame: Payload, sentBefore = 0): void {
  count(`handshake closed ${closed.code}`);
  expect({ byPeer: closed.byPeer, code: refusalCodes(frame, sentBefore).includes(closed.code) ? 'expected' : closed.code })
    .toEqual({ byPeer: true, code: 'expected' });
}

/** Raw TCP: the HTTP server behind the peer port answers (400, 426) or closes; it never hangs. */
function rawTcp(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`no answer to raw bytes within ${ANSWER_TIMEOUT_MS} ms`)); }, ANSWER_TIMEOUT_MS);
    sock.on('data', (c) => {
      got += c.toString('latin1');
      if (/^HTTP\/1\.1 \d{3}/.test(got)) sock.destroy();
    });
    sock.on('error', () => undefined);
    sock.on('close', () => { clearTimeout(timer); resolve(got); });
    sock.write(bytes);
  });
}

async function runHandshakeCase(c: HandshakeCase): Promise<void> {
  if (c.k === 'tcp') {
    const answer = await rawTcp(node.opts.peerPort, c.bytes);
    // Either an HTTP error status, or the connection closed without one.
    expect(answer === '' || /^HTTP\/1\.1 4\d\d/.test(answer) ? 'refused' : answer.slice(0, 80)).toBe('refused');
    count('tcp refused');
    return;
  }
  const sock = await RawPeerSocket.open(node.peer);
  try {
    if (c.k === 'first') {
      await sock.send(c.frame);
      expectRefusal(await sock.closedWithin(ANSWER_TIMEOUT_MS), c.frame);
    } else if (c.k === 'afterHello') {
      await sock.send(validHello());
      const challenge = await sock.next(ANSWER_TIMEOUT_MS);
      expect(challenge === 'closed' ? 'closed' : challenge[0]).toBe(FrameType.Challenge);
      await sock.send(c.frame);
      expectRefusal(await sock.closedWithin(ANSWER_TIMEOUT_MS), c.frame, validHello().length + WS_FRAMING_BYTES);
    } else {
      // Both at once: the Challenge may be written before the refusal (or lost with a reset).
      await sock.send(validHello());
      await sock.send(c.frame);
      expectRefusal(await sock.closedWithin(ANSWER_TIMEOUT_MS), c.frame, validHello().length + WS_FRAMING_BYTES);
      sock.drain().forEach((f) => expect(f[0]).toBe(FrameType.Challenge));
    }
    // Nothing else came: no Challenge to a bad Hello, no Welcome to a bad Auth.
    expect(sock.drain().map((f) => f[0])).toEqual([]);
    expect(sock.texts).toBe(0);
  } finally {
    await sock.close();
  }
}

// ---- after the handshake ----

interface WireMessage {
  kind: number;
  id: number;
  body: Buffer;
  /** Added to the body's length in the header (0: the truth). */
  lengthLie: number;
}
type AfterFrame = { k: 'batch'; messages: WireMessage[] } | { k: 'raw'; bytes: Buffer } | { k: 'text'; text: string };

const pack = (v: unknown): Buffer => {
  try {
    return packr.pack(v);
  } catch {
    return Buffer.from([0xc0]);
  }
};
const notSelfAdd = (b: unknown) => !((b as { cmd?: { member?: { id?: unknown } } })?.cmd?.member?.id === guest?.id);
const anyType = fc.constantFrom(...TYPES);
const requestBody: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: anyType.chain((t) => badArb(specs[t]!.request, { wire: true })!), weight: 10 },
  { arbitrary: anyType.chain((t) => validArb(specs[t]!.request)).filter(notSelfAdd), weight: 3 },
  { arbitrary: fc.tuple(fc.oneof(anyType, fc.integer({ min: -5, max: 120 })), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }))
    .map(([type, fields]) => ({ ...fields, type })), weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
  { arbitrary: fc.constantFrom(
    { type: T.ReplicaWrite, partition: 0, key: Buffer.alloc(2 * MiB, 1), record: Buffer.alloc(40) }, // a 2 MiB key
    { type: T.Gossip, digest: { from: 'x', members: nestedArrays(14) } }, // nested as deep as the guard allows
    { type: T.MerkleLevel, partition: 1, buckets: 8, depth: 1, indexes: new Array(70_000).fill(1) }, // too many indexes
    { type: T.Ping, pad: 's'.repeat(3 * MiB) }, // a large string in a valid Ping
  ), weight: 1 },
);
const replyBody: fc.Arbitrary<unknown> = fc.oneof(
  anyType.chain((t) => fc.oneof(validArb(specs[t]!.reply), badArb(specs[t]!.reply, { wire: true })!)),
  fc.jsonValue({ maxDepth: 3 }),
);
const errorBody: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ code: fc.oneof(fc.constant({ code: 'INTERNAL' }), fc.constant({ toString: 1 }), fc.jsonValue({ maxDepth: 2 }), fc.stringMatching(/^[A-Z_]{1,10}$/)), message: fc.jsonValue({ maxDepth: 2 }) }),
  fc.jsonValue({ maxDepth: 3 }),
);
const heavyBody: fc.Arbitrary<Buffer> = fc.constantFrom('maps', 'deep', 'wide').map((what) => {
  if (what === 'maps') return emptyMaps(0).subarray(1); // 4 MiB of empty maps as one body
  if (what === 'deep') return Buffer.alloc(100_000, 0x91); // arrays 100,000 deep (and cut short)
  return pack(new Array(200_000).fill('a')); // 200,000 one-byte strings: wide, shallow, legal msgpack
});
const message: fc.Arbitrary<WireMessage> = fc.record({
  kind: fc.oneof({ arbitrary: fc.constant(MessageKind.Request), weight: 12 }, { arbitrary: fc.constantFrom(MessageKind.Reply, MessageKind.ErrorReply), weight: 6 }, { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 1 }),
  id: fc.nat({ max: 0xffffffff }),
  lengthLie: fc.oneof({ arbitrary: fc.constant(0), weight: 30 }, { arbitrary: fc.integer({ min: -4, max: 4 }), weight: 1 }, { arbitrary: fc.constantFrom(0x7fffffff, 0xffffffff), weight: 1 }),
  body: fc.constant(Buffer.alloc(0)),
}).chain((m) => {
  const body: fc.Arbitrary<Buffer> = fc.oneof(
    { arbitrary: (m.kind === MessageKind.Request ? requestBody : m.kind === MessageKind.Reply ? replyBody : errorBody).map(pack), weight: 30 },
    { arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)), weight: 1 },
    { arbitrary: mpDamaged.map((b) => Buffer.from(b)), weight: 1 },
    { arbitrary: heavyBody, weight: 1 },
  );
  return body.map((b) => ({ ...m, body: b }));
});
/** Whether a frame of these messages is one the node's codec walks (so the connection stays open). */
const walks = (messages: WireMessage[]) => !('close' in predict(frameBytes({ k: 'batch', messages }, () => 1)));
const afterFrame: fc.Arbitrary<AfterFrame> = fc.oneof(
  // Clean batches: every message well framed, so the node answers each request and drops the rest.
  { arbitrary: fc.array(message, { minLength: 1, maxLength: 8 }).filter(walks).map((messages) => ({ k: 'batch' as const, messages })), weight: 16 },
  // Anything goes: one bad header or body closes the connection, whatever came before it.
  { arbitrary: fc.array(message, { minLength: 1, maxLength: 6 }).map((messages) => ({ k: 'batch' as const, messages })), weight: 6 },
  { arbitrary: randomFrame.map((bytes) => ({ k: 'raw' as const, bytes })), weight: 2 },
  { arbitrary: fc.string({ maxLength: 50 }).map((text) => ({ k: 'text' as const, text })), weight: 1 },
  { arbitrary: fc.constant({ k: 'raw' as const, bytes: Buffer.alloc(6 * 1000 * 1000, FrameType.Batch) }), weight: 1 },
);

/** The frame's bytes; request ids are made unique per connection (from `nextId`). */
function frameBytes(f: AfterFrame, nextId: () => number): Payload {
  if (f.k === 'text') return f.text;
  if (f.k === 'raw') return f.bytes;
  const parts = f.messages.map((m) => {
    const header = Buffer.alloc(9);
    header[0] = m.kind;
    header.writeUInt32BE(m.kind === MessageKind.Request ? nextId() : m.id, 1);
    const len = m.lengthLie > 4 ? m.lengthLie : Math.max(0, m.body.length + m.lengthLie);
    header.writeUInt32BE(len >>> 0, 5);
    return Buffer.concat([header, m.body]);
  });
  return Buffer.concat([Buffer.from([FrameType.Batch]), ...parts]);
}

type Prediction = { close: number[] } | { requests: { id: number; body: unknown }[] };

/** What the node must do with a frame: walked with the node's own codec, as the node walks it. */
function predict(frame: Payload): Prediction {
  if (typeof frame === 'string') return { close: [4003] };
  if (frame.length > FRAME_CAP_BYTES) return { close: [1009, 1006] };
  if (frame[0] !== FrameType.Batch) return { close: [4003] };
  const requests: { id: number; body: unknown }[] = [];
  try {
    for (const m of decodeBatchFrame(frame)) {
      if (m.kind !== MessageKind.Request) continue;
      if (!isPeerBody(m.body)) return { close: [4003] };
      requests.push({ id: m.id, body: m.body });
    }
  } catch (err) {
    if (err instanceof FrameDecodeError) return { close: [4003] };
    throw err;
  }
  return { requests };
}

/** Checks one answer to a request against what the protocol says a guest gets for its body. */
function expectAnswer(body: unknown, kind: number, reply: unknown): void {
  const type = (body as { type: number }).type;
  const spec = specs[type]?.request;
  const got = kind === MessageKind.ErrorReply ? readErrorReply(reply).code : `reply ${(reply as { type?: unknown })?.type}`;
  let expected: string;
  if (!spec) expected = 'PEER_UNKNOWN_MESSAGE';
  else if (!refValid(spec, body)) expected = 'PEER_BAD_MESSAGE';
  else if (type === T.Ping) expected = `reply ${T.Pong}`;
  else if (type === T.MembershipChange) expected = `reply ${T.MembershipChangeReply}`;
  else expected = 'PEER_FORBIDDEN'; // member-only: a guest is refused after its body decoded
  expect(OPEN_REQUEST_TYPES.includes(type) && expected === 'PEER_FORBIDDEN').toBe(false);
  count(`answer ${expected}`);
  expect({ type, got }).toEqual({ type, got: expected });
  if (type === T.Ping && kind === MessageKind.Reply) {
    const pong = protocol.decodeReply(T.Ping, reply, node.peer);
    expect([pong.id, pong.peer, pong.partitions]).toEqual(['n1', node.peer, LIMITS.partitions]);
  }
  if (type === T.MembershipChange && kind === MessageKind.Reply) {
    // A guest may only ask to add itself: anything else is refused, and nothing is proposed.
    expect(protocol.decodeReply(T.MembershipChange, reply, node.peer)).toMatchObject({ ok: false, code: 'PEER_FORBIDDEN' });
  }
}

const PROBE: unknown = { type: T.Ping };

async function runAfterCase(frames: AfterFrame[]): Promise<void> {
  const sock = await RawPeerSocket.open(node.peer);
  try {
    await handshake(sock, guest, 'n1');
    let id = 1;
    const pending = new Map<number, unknown>();
    let closing: number[] | undefined;
    for (const f of frames) {
      const bytes = frameBytes(f, () => id++);
      const p = predict(bytes);
      await sock.send(bytes);
      if ('close' in p) {
        closing = p.close;
        break;
      }
      for (const r of p.requests) pending.set(r.id, r.body);
    }
    if (closing) {
      const closed = await sock.closedWithin(ANSWER_TIMEOUT_MS);
      count(`after closed ${closed.code}`);
      expect({ byPeer: closed.byPeer, code: closing.includes(closed.code) ? 'expected' : closed.code }).toEqual({ byPeer: true, code: 'expected' });
      return;
    }
    // Still open: a Ping after everything, and then every request has its one answer.
    const probeId = id++;
    const probe = Buffer.from(packr.pack(PROBE));
    const header = Buffer.alloc(9);
    header[0] = MessageKind.Request;
    header.writeUInt32BE(probeId, 1);
    header.writeUInt32BE(probe.length, 5);
    await sock.send(Buffer.concat([Buffer.from([FrameType.Batch]), header, probe]));
    pending.set(probeId, PROBE);
    while (pending.size > 0) {
      const frame = await sock.next(ANSWER_TIMEOUT_MS);
      if (frame === 'closed') throw new Error(`the node closed a connection it had no reason to close (${sock.closed?.code} ${sock.closed?.reason}); ${pending.size} requests unanswered`);
      expect(frame[0]).toBe(FrameType.Batch);
      for (const m of decodeBatchFrame(frame)) {
        expect(m.kind === MessageKind.Reply || m.kind === MessageKind.ErrorReply).toBe(true);
        expect(pending.has(m.id)).toBe(true); // an answer to a request of ours, and only one
        expectAnswer(pending.get(m.id), m.kind, m.body);
        pending.delete(m.id);
      }
    }
    count('after stayed open');
  } finally {
    await sock.close();
  }
}

describe('a real node under a fuzzed peer port', () => {
  test('during the handshake: random bytes, wrong Hello and Auth fields, oversized frames, empty maps and text frames are refused', async () => {
    await checkProperty(fc.asyncProperty(handshakeCase, async (c) => {
      await runHandshakeCase(c);
      await afterCase();
    }), { runs: RUNS_HANDSHAKE, file: FILE, test: 'during the handshake: random bytes, wrong Hello and Auth fields, oversized frames, empty maps and text frames are refused', noShrink: true });
    await expectNodeIntact();
  }, 120_000);

  test('after a real handshake: random batches, wrong fields in every message type, lying lengths and stray replies are refused or answered as the protocol says', async () => {
    await checkProperty(fc.asyncProperty(fc.array(afterFrame, { minLength: 1, maxLength: 3 }), async (frames) => {
      await runAfterCase(frames);
      await afterCase();
    }), { runs: RUNS_AFTER, file: FILE, test: 'after a real handshake: random batches, wrong fields in every message type, lying lengths and stray replies are refused or answered as the protocol says', noShrink: true });
    await expectNodeIntact();
  }, 180_000);

  test('afterwards the node still takes a real handshake, answers a Ping and serves its keys', async () => {
    await runAfterCase([{ k: 'batch', messages: [] }]);
    await expectNodeIntact();
    // No error or fatal line: an unexpected throw in a socket callback is logged at error level.
    const errors = node.output.split('\n').filter((l) => /"level":(50|60)\b/.test(l) || /uncaught|unhandled/i.test(l));
    expect(errors).toEqual([]);
  });
});
