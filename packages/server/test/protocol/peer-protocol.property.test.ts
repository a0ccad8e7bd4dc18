// Fuzzing the peer protocol in process (issue 14, item 10): for every request and reply type of
// peerSchemas, valid bodies (built from the limits by peer-specs.ts, apart from the schemas) are
// accepted as they are and after a trip over the wire, and bodies with one field of a wrong type,
// out of range, oversized, missing or unexpected are refused with PeerBadMessageError or
// PeerBadReplyError, never another exception, never accepted. On any value at all the decoders
// agree with the reference verdict. Below the messages, the frame codec and the handshake take
// random values and random bytes and throw nothing but FrameDecodeError.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  FrameDecodeError, FrameType, MessageKind, buildBatchFrame, decodeBatchFrame, decodeBody, decodeControlFrame, encodeControlFrame,
  encodeMessage, errorReplyOf, readErrorReply, type FrameTypeValue,
} from '../../src/peer/frame-codec.js';
import { AcceptorHandshake, DialerHandshake, NONCE_BYTES } from '../../src/peer/handshake.js';
import { PROTOCOL_VERSION, PeerMessageType } from '../../src/peer/message-types.js';
import { PeerBadMessageError, PeerBadReplyError } from '../../src/peer/peer-errors.js';
import { peerSchemas } from '../../src/protocol/peer-messages.js';
import { PeerProtocol } from '../../src/protocol/peer-protocol.js';
import { decodeChangeBody, decodeJoinBody } from '../../src/http/admin-bodies.js';
import { InvalidParameterError } from '../../src/errors.js';
import { isValidAddress } from '@ringkv/core';
import { checkProperty } from '../../../../test/support/fuzz.js';
import { isPlain, mpDamaged, mpValue } from './msgpack-arbitraries.js';
import {
  MessageType, address, badArb, bytes, int, memberEntrySpec, messageSpecs, nodeId, obj, refValid, validArb, type Spec,
} from './peer-specs.js';

const FILE = 'packages/server/test/protocol/peer-protocol.property.test.ts';
/** Small limits keep the oversized values cheap: a key over 32 bytes, a value over 64. */
const LIMITS = { partitions: 16, maxKeyBytes: 32, maxValueBytes: 64 };
const protocol = new PeerProtocol(LIMITS);
const specs = messageSpecs(LIMITS);
const schemas = peerSchemas(LIMITS);
const TYPES = Object.keys(schemas).map(Number);
const NAMES = new Map<number, string>(Object.entries(MessageType).map(([n, t]) => [t, n]));
/** Test table rows: the type and its name, e.g. [10, 'ReplicaWrite']. */
const ROWS = TYPES.map((t) => [t, NAMES.get(t)!] as [number, string]);

/**
 * Runs per property (RINGKV_FUZZ_RUNS overrides every one): 550 per request type and 450 per reply
 * type, about 13,000 message cases; with the properties below about 30,000 cases, 7 s on 2 cores.
 */
const VALID_RUNS = 150;
const BAD_RUNS = 300;

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** A body as the receiving node sees it: encoded into a batch frame and walked out of it. */
function overTheWire(kind: 1 | 2 | 3, body: unknown): unknown {
  const m = encodeMessage(kind, 7, body);
  const [msg, ...rest] = [...decodeBatchFrame(buildBatchFrame([m], m.length))];
  expect(rest).toHaveLength(0);
  return msg!.body;
}

const badRequest = (err: unknown) => err instanceof PeerBadMessageError && (err.code === 'PEER_BAD_MESSAGE' || err.code === 'PEER_UNKNOWN_MESSAGE');
const badReply = (err: unknown) => err instanceof PeerBadReplyError && err.code === 'PEER_BAD_REPLY';

test('the specs here describe exactly the message types of peerSchemas, requests and replies alike', () => {
  expect(Object.keys(specs).map(Number).sort((a, b) => a - b)).toEqual([...TYPES].sort((a, b) => a - b));
  for (const t of TYPES) {
    const s = schemas[t as keyof typeof schemas];
    for (const side of ['request', 'reply'] as const) {
      const spec = specs[t]![side] as Extract<Spec, { k: 'object' }>;
      const schemaFields = Object.keys((s[side] as unknown as { properties: object }).properties).sort();
      expect([t, side, Object.keys(spec.fields).sort()]).toEqual([t, side, schemaFields]);
      expect((s[side] as unknown as { properties: { type: { const: number } } }).properties.type.const).toBe((spec.fields.type!.spec as { value: number }).value);
    }
  }
  expect(protocol.types.sort((a, b) => a - b)).toEqual([...TYPES].sort((a, b) => a - b));
  // The numbers written down in peer-specs.ts are message-types.ts's (the error reply aside).
  const { Error: _error, ...numbered } = PeerMessageType;
  expect(MessageType).toEqual(numbered);
});

describe.each(ROWS)('request type %i (%s)', (type, typeName) => {
  const spec = specs[type]!.request;
  /** The full test name (for the replay command's -t). */
  const name = (what: string) => `request type ${type} (${typeName}) ${what}`;

  test('valid bodies are accepted, as they are and after a trip over the wire', async () => {
    await checkProperty(fc.property(validArb(spec), (body) => {
      expect(refValid(spec, body)).toBe(true);
      expect(protocol.decodeRequest(body)).toBe(body);
      protocol.decodeRequest(overTheWire(MessageKind.Request, body));
    }), { runs: VALID_RUNS, file: FILE, test: name('valid bodies are accepted, as they are and after a trip over the wire') });
  });

  test('a body with one field wrong (type, range, size, missing, extra) is refused with PeerBadMessageError', async () => {
    const bad = badArb(spec)!;
    await checkProperty(fc.property(bad, (body) => {
      const err = thrown(() => protocol.decodeRequest(body));
      expect(badRequest(err) ? 'refused' : err ?? 'accepted').toBe('refused');
    }), { runs: BAD_RUNS, file: FILE, test: name('a body with one field wrong (type, range, size, missing, extra) is refused with PeerBadMessageError') });
  });

  test('a wrong body stays wrong over the wire (as far as msgpack keeps it) and is refused there too', async () => {
    const bad = badArb(spec, { wire: true })!;
    await checkProperty(fc.property(bad, (body) => {
      let arrived: unknown;
      try {
        arrived = overTheWire(MessageKind.Request, body);
      } catch (err) {
        expect(err).toBeInstanceOf(FrameDecodeError); // nested too deep, say: refused a layer below
        return;
      }
      const err = thrown(() => protocol.decodeRequest(arrived));
      expect(badRequest(err) ? 'refused' : err ?? 'accepted').toBe(refValid(spec, arrived) ? 'accepted' : 'refused');
    }), { runs: BAD_RUNS / 3, file: FILE, test: name('a wrong body stays wrong over the wire (as far as msgpack keeps it) and is refused there too') });
  });
});

describe.each(ROWS)('reply to request type %i (%s)', (type, typeName) => {
  const spec = specs[type]!.reply;
  const name = (what: string) => `reply to request type ${type} (${typeName}) ${what}`;
  const decode = (body: unknown) => protocol.decodeReply(type as keyof typeof schemas, body, '127.0.0.1:1');

  test('valid replies are accepted, as they are and after a trip over the wire', async () => {
    await checkProperty(fc.property(validArb(spec), (body) => {
      expect(refValid(spec, body)).toBe(true);
      expect(decode(body)).toBe(body);
      decode(overTheWire(MessageKind.Reply, body));
    }), { runs: VALID_RUNS, file: FILE, test: name('valid replies are accepted, as they are and after a trip over the wire') });
  });

  test('a reply with one field wrong is refused with PeerBadReplyError', async () => {
    await checkProperty(fc.property(badArb(spec)!, (body) => {
      const err = thrown(() => decode(body));
      expect(badReply(err) ? 'refused' : err ?? 'accepted').toBe('refused');
    }), { runs: BAD_RUNS, file: FILE, test: name('a reply with one field wrong is refused with PeerBadReplyError') });
  });
});

describe('any value at all', () => {
  const anything = fc.anything({
    withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true,
    withObjectString: true, withSparseArray: true, withTypedArray: true, maxDepth: 4,
  });
  // Objects with a known type and random fields, valid bodies and broken ones of random types.
  const typed = fc.tuple(fc.constantFrom(...TYPES, 2, 99, 0, -1, 1.5), fc.dictionary(fc.string({ maxLength: 10 }), anything, { maxKeys: 6 }))
    .map(([type, fields]) => ({ ...fields, type }));
  const anyRequest = fc.oneof(anything, typed, ...TYPES.map((t) => validArb(specs[t]!.request)), ...TYPES.map((t) => badArb(specs[t]!.request)!));

  test('decodeRequest accepts exactly what the reference accepts and throws nothing but PeerBadMessageError', async () => {
    await checkProperty(fc.property(anyRequest, (body) => {
      const type = typeof body === 'object' && body !== null ? (body as { type?: unknown }).type : undefined;
      const spec = typeof type === 'number' ? specs[type]?.request : undefined;
      const err = thrown(() => protocol.decodeRequest(body));
      expect(err === undefined ? 'accepted' : badRequest(err) ? 'refused' : err).toBe(spec && refValid(spec, body) ? 'accepted' : 'refused');
    }), { runs: 3000, file: FILE, test: 'decodeRequest accepts exactly what the reference accepts and throws nothing but PeerBadMessageError' });
  });

  test('decodeReply accepts exactly what the reference accepts and throws nothing but PeerBadReplyError', async () => {
    const anyReply = fc.tuple(fc.constantFrom(...TYPES), fc.oneof(anything, typed, ...TYPES.map((t) => validArb(specs[t]!.reply)), ...TYPES.map((t) => badArb(specs[t]!.reply)!)));
    await checkProperty(fc.property(anyReply, ([type, body]) => {
      const err = thrown(() => protocol.decodeReply(type as keyof typeof schemas, body, 'h:1'));
      expect(err === undefined ? 'accepted' : badReply(err) ? 'refused' : err).toBe(refValid(specs[type]!.reply, body) ? 'accepted' : 'refused');
    }), { runs: 3000, file: FILE, test: 'decodeReply accepts exactly what the reference accepts and throws nothing but PeerBadReplyError' });
  });

  test('a gossip digest keeps exactly the entries the reference accepts, and counts the others', async () => {
    const entries = fc.array(fc.oneof(validArb(memberEntrySpec), badArb(memberEntrySpec)!, anything), { maxLength: 12 });
    await checkProperty(fc.property(validArb(nodeId) as fc.Arbitrary<string>, entries, (from, members) => {
      const d = protocol.decodeDigest({ from, members });
      const expected = members.filter((m) => refValid(memberEntrySpec, m));
      expect(d.members.length).toBe(expected.length);
      expect(d.members.every((m, i) => m === expected[i])).toBe(true);
      expect(d.dropped).toBe(members.length - expected.length);
    }), { runs: 500, file: FILE, test: 'a gossip digest keeps exactly the entries the reference accepts, and counts the others' });
  });

  test('error replies: any body reads as a well-formed code and a bounded message, and any error encodes as one', async () => {
    await checkProperty(fc.property(anything, (v) => {
      for (const e of [readErrorReply(v), errorReplyOf(v)]) {
        expect(e.code).toMatch(/^[A-Z][A-Z0-9_]{0,63}$/);
        expect(typeof e.message).toBe('string');
        expect(e.message.length).toBeLessThanOrEqual(1024 + 3);
      }
    }), { runs: 1000, file: FILE, test: 'error replies: any body reads as a well-formed code and a bounded message, and any error encodes as one' });
  });
});

describe('the frame codec takes anything and throws only FrameDecodeError', () => {
  const anything = fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, maxDepth: 5 });
  const randomBytes = fc.oneof(fc.uint8Array({ maxLength: 300 }), mpDamaged.map((b) => Uint8Array.from(b)), mpValue.map((v) => Uint8Array.from(v.bytes)));

  /** Runs fn; a FrameDecodeError is fine, a value must be plain data, anything else fails. */
  const onlyFrameErrors = (fn: () => unknown[]): void => {
    let values: unknown[];
    try {
      values = fn();
    } catch (err) {
      if (!(err instanceof FrameDecodeError)) throw err;
      return;
    }
    for (const v of values) expect(isPlain(v, 16)).toBe(true);
  };

  test('decodeBody: the encoding of any value msgpackr can write', async () => {
    await checkProperty(fc.property(anything, (v) => {
      let m: Buffer;
      try {
        m = encodeMessage(MessageKind.Request, 1, v);
      } catch {
        return; // not encodable (a BigInt beyond 64 bits): never leaves the sender
      }
      onlyFrameErrors(() => [decodeBody(m, 9, m.length)]);
    }), { runs: 1000, file: FILE, test: 'decodeBody: the encoding of any value msgpackr can write' });
  });

  test('decodeBody, decodeBatchFrame and decodeControlFrame: random and damaged bytes', async () => {
    const expected = fc.constantFrom(...(Object.values(FrameType) as FrameTypeValue[]));
    await checkProperty(fc.property(randomBytes, fc.integer({ min: 0, max: 255 }), expected, (b, first, type) => {
      onlyFrameErrors(() => [decodeBody(b, 0, b.length)]);
      onlyFrameErrors(() => [...decodeBatchFrame(Buffer.concat([Buffer.from([FrameType.Batch]), b]))].map((m) => m.body));
      onlyFrameErrors(() => [decodeControlFrame(Buffer.concat([Buffer.from([first]), b]), type)]);
      onlyFrameErrors(() => [decodeControlFrame(Buffer.concat([Buffer.from([type]), b]), type)]);
    }), { runs: 3000, file: FILE, test: 'decodeBody, decodeBatchFrame and decodeControlFrame: random and damaged bytes' });
  });

  test('decodeBatchFrame: batches of random kinds, ids, declared lengths and bodies', async () => {
    const body = fc.oneof(
      anything.map((v) => { try { return encodeMessage(1, 0, v).subarray(9); } catch { return Buffer.alloc(0); } }),
      randomBytes.map((b) => Buffer.from(b)),
    );
    const message = fc.record({
      kind: fc.oneof({ arbitrary: fc.constantFrom(1, 2, 3), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 1 }),
      id: fc.oneof(fc.constantFrom(0, 1, 0xffffffff), fc.nat({ max: 0xffffffff })),
      lengthDelta: fc.oneof({ arbitrary: fc.constant(0), weight: 6 }, { arbitrary: fc.integer({ min: -3, max: 3 }), weight: 1 }, { arbitrary: fc.constantFrom(0x7fffffff, 0xffffffff), weight: 1 }),
      body,
    });
    await checkProperty(fc.property(fc.array(message, { maxLength: 6 }), fc.nat(), (msgs, cut) => {
      const parts = msgs.map((m) => {
        const header = Buffer.alloc(9);
        header[0] = m.kind;
        header.writeUInt32BE(m.id, 1);
        const len = m.lengthDelta > 3 ? m.lengthDelta : Math.max(0, m.body.length + m.lengthDelta);
        header.writeUInt32BE(len >>> 0, 5);
        return Buffer.concat([header, m.body]);
      });
      let frame = Buffer.concat([Buffer.from([FrameType.Batch]), ...parts]);
      if (cut % 5 === 0 && frame.length > 1) frame = frame.subarray(0, 1 + (cut % (frame.length - 1)));
      onlyFrameErrors(() => [...decodeBatchFrame(frame)].map((m) => {
        expect([1, 2, 3]).toContain(m.kind);
        return m.body;
      }));
    }), { runs: 2000, file: FILE, test: 'decodeBatchFrame: batches of random kinds, ids, declared lengths and bodies' });
  });

  test('a handshake frame over 4096 bytes is refused before it is read', () => {
    const big = encodeControlFrame(FrameType.Hello, { v: 1, pad: 'x'.repeat(5000) });
    expect(thrown(() => decodeControlFrame(big, FrameType.Hello))).toBeInstanceOf(FrameDecodeError);
    const maps = Buffer.alloc(4 * 1024 * 1024, 0x80);
    maps[0] = FrameType.Hello;
    expect(thrown(() => decodeControlFrame(maps, FrameType.Hello))).toBeInstanceOf(FrameDecodeError);
  });
});

describe('the handshake state machines take any frame', () => {
  const SECRET = 'fuzz-secret-0123456789abcdef0123456789';
  const acceptorSelf = { id: 'acceptor', address: '127.0.0.1:2', secret: SECRET };
  const dialerSelf = { id: 'dialer', address: '127.0.0.1:1', secret: SECRET };
  const helloSpec = obj({ v: int(0, 0xffff), id: nodeId, address, nonce: bytes(NONCE_BYTES, NONCE_BYTES) });
  const authSpec = obj({ proof: bytes(32, 32) });
  const challengeSpec = obj({ v: int(0, 0xffff), id: nodeId, address, nonce: bytes(NONCE_BYTES, NONCE_BYTES), proof: bytes(32, 32) });
  /** A handshake frame: fields encoded as the codec does, or bytes of any kind after a type byte. */
  const frameOf = (spec: Spec, type: number) => fc.oneof(
    { arbitrary: badArb(spec)!, weight: 3 },
    { arbitrary: fc.anything({ maxDepth: 2 }), weight: 1 },
  ).chain((fields) => {
    let frame: Buffer;
    try {
      frame = encodeControlFrame(type as FrameTypeValue, fields as Record<string, unknown>);
    } catch {
      frame = Buffer.from([type]);
    }
    return fc.oneof(
      { arbitrary: fc.constant(frame), weight: 4 },
      { arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.concat([Buffer.from([type]), b])), weight: 1 },
      { arbitrary: fc.integer({ min: 0, max: 255 }).map((t) => Buffer.concat([Buffer.from([t]), frame.subarray(1)])), weight: 1 },
    );
  });

  /** Feeds one frame; returns the step's kind, or 'error' for a FrameDecodeError (anything else fails). */
  const feed = (onFrame: (f: Buffer) => { kind: string }, frame: Buffer): string => {
    try {
      return onFrame(frame).kind;
    } catch (err) {
      if (err instanceof FrameDecodeError) return 'error';
      throw err;
    }
  };

  test('an acceptor refuses a Hello with a wrong field (or throws FrameDecodeError), then a wrong Auth', async () => {
    await checkProperty(fc.property(frameOf(helloSpec, FrameType.Hello), frameOf(authSpec, FrameType.Auth), (hello, auth) => {
      let established = 0;
      const hs = new AcceptorHandshake(acceptorSelf, () => undefined, () => undefined, () => { established++; return undefined; });
      const first = feed((f) => hs.onFrame(f), hello);
      expect(['refuse', 'error', 'continue']).toContain(first);
      if (first === 'continue') {
        // It took the Hello: only a well-formed one of this protocol version from another node can be.
        const fields = decodeControlFrame(hello, FrameType.Hello) as Record<string, unknown>;
        expect(refValid(helloSpec, fields) && fields.v === PROTOCOL_VERSION && fields.id !== acceptorSelf.id).toBe(true);
        expect(['refuse', 'error']).toContain(feed((f) => hs.onFrame(f), auth));
      }
      expect(established).toBe(0);
    }), { runs: 1500, file: FILE, test: 'an acceptor refuses a Hello with a wrong field (or throws FrameDecodeError), then a wrong Auth' });
  });

  test('an acceptor that took a valid Hello refuses any Auth but the proof', async () => {
    await checkProperty(fc.property(frameOf(authSpec, FrameType.Auth), (auth) => {
      const sent: Buffer[] = [];
      const hs = new AcceptorHandshake(acceptorSelf, (f) => sent.push(f), () => undefined, () => undefined);
      const hello = encodeControlFrame(FrameType.Hello, { v: PROTOCOL_VERSION, id: 'dialer', address: '127.0.0.1:1', nonce: Buffer.alloc(NONCE_BYTES, 1) });
      expect(hs.onFrame(hello).kind).toBe('continue');
      expect(['refuse', 'error']).toContain(feed((f) => hs.onFrame(f), auth));
    }), { runs: 500, file: FILE, test: 'an acceptor that took a valid Hello refuses any Auth but the proof' });
  });

  test('a dialer refuses any Challenge it cannot verify', async () => {
    await checkProperty(fc.property(frameOf(challengeSpec, FrameType.Challenge), (challenge) => {
      const hs = new DialerHandshake(dialerSelf, () => undefined, 'acceptor');
      hs.start();
      expect(['refuse', 'error']).toContain(feed((f) => hs.onFrame(f), challenge));
    }), { runs: 1000, file: FILE, test: 'a dialer refuses any Challenge it cannot verify' });
  });
});

// Found by this suite: the wire schemas' Address (schema-kit.ts) is the pattern alone, whose port
// is any 1 to 5 digits, while core's isValidAddress (member-names.ts: "port 0-65535"), which the
// membership log applies, also requires the port to be at most 65535. So a port of 65536..99999
// passes every edge and is refused only later: an admin `add` of such a member is proposed and
// committed to the Raft log, then refused when applied (409, not 400; "nothing is proposed" does
// not hold), a Pong or gossip entry carrying one is taken in. The edges must refuse what core
// refuses. (The fuzz generators above keep to ports up to 65535 so the rest stays meaningful.)
describe('issue 14 regression: an address whose port is above 65535 is refused at every edge, as core refuses it', () => {
  const port = '127.0.0.1:65536';
  test.each([
    ['a forwarded membership change (peer request)', () => thrown(() => protocol.decodeRequest({ type: 34, cmd: { op: 'add', member: { id: 'n9', peer: port, http: '127.0.0.1:1' } } })) instanceof PeerBadMessageError],
    ['a Pong (peer reply)', () => thrown(() => protocol.decodeReply(1, { type: 2, id: 'n9', peer: '127.0.0.1:1', http: 'h:99999', partitions: 16, replicas: 3, epoch: 1 }, 'h:1')) instanceof PeerBadReplyError],
    ['a gossip entry', () => protocol.decodeDigest({ from: 'n1', members: [{ id: 'n9', peer: port, http: '127.0.0.1:1', incarnation: 0, heartbeat: 0, status: 'normal', epoch: 1 }] }).dropped === 1],
    ['a Hello', () => {
      const hs = new AcceptorHandshake({ id: 'a', address: '127.0.0.1:2', secret: 's' }, () => undefined, () => undefined, () => undefined);
      return hs.onFrame(encodeControlFrame(FrameType.Hello, { v: PROTOCOL_VERSION, id: 'n9', address: port, nonce: Buffer.alloc(NONCE_BYTES) })).kind === 'refuse';
    }],
    ['an admin add (POST /cluster/changes)', () => thrown(() => decodeChangeBody({ op: 'add', member: { id: 'n9', peer: port, http: '127.0.0.1:1' } })) instanceof InvalidParameterError],
    ['an admin setAddress (POST /cluster/changes)', () => thrown(() => decodeChangeBody({ op: 'setAddress', id: 'n1', peer: '127.0.0.1:1', http: 'h:99999' })) instanceof InvalidParameterError],
    ['a join seed (POST /cluster/join)', () => thrown(() => decodeJoinBody({ seeds: [port] })) instanceof InvalidParameterError],
  ])('%s', (_surface, refused) => {
    expect(isValidAddress(port)).toBe(false);
    expect(refused()).toBe(true);
  });
});
