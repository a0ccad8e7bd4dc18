// Pure pieces of the peer transport: backoff delays, the frame codec, handshake proofs.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { backoffDelayMs } from '../../src/peer/backoff.js';
import {
  FrameDecodeError, FrameType, MessageKind, buildBatchFrame, decodeBatchFrame, decodeControlFrame, encodeControlFrame, encodeMessage,
} from '../../src/peer/frame-codec.js';
import { AcceptorHandshake, DialerHandshake, proof, proofMatches, type HandshakeStep } from '../../src/peer/handshake.js';

describe('backoffDelayMs', () => {
  const opts = { baseMs: 50, maxMs: 5000 };
  test.each([
    // failures, random, expected
    [0, 0.5, 0],
    [1, 0, 25],
    [1, 0.999999, 50],
    [2, 0, 50],
    [3, 1 - 1e-9, 200],
    [7, 0, 1600],
    [8, 0, 2500], // 6400 capped at 5000, halved
    [40, 1 - 1e-9, 5000],
    [10_000, 0.5, 3750],
  ])('after %i failures with random %f: %i ms', (failures, random, expected) => {
    expect(backoffDelayMs(failures, opts, () => random)).toBe(expected);
  });
});

describe('frame codec', () => {
  const body = fc.record({
    type: fc.integer({ min: 0, max: 99 }),
    key: fc.string(),
    bytes: fc.uint8Array({ maxLength: 64 }),
    list: fc.array(fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string())),
  });

  test('a batch of messages decodes to the same kinds, ids and bodies (Uint8Array stays bytes)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3>, fc.nat({ max: 0xffffffff }), body), { minLength: 1, maxLength: 20 }), (msgs) => {
      const encoded = msgs.map(([kind, id, b]) => encodeMessage(kind, id, b));
      const frame = buildBatchFrame(encoded, encoded.reduce((n, e) => n + e.length, 0));
      const decoded = [...decodeBatchFrame(frame)];
      expect(decoded.map((d) => [d.kind, d.id])).toEqual(msgs.map(([k, id]) => [k, id]));
      decoded.forEach((d, i) => {
        const b = d.body as { bytes: Uint8Array };
        expect(b.bytes).toBeInstanceOf(Uint8Array);
        expect({ ...b, bytes: [...b.bytes] }).toEqual({ ...msgs[i]![2], bytes: [...msgs[i]![2].bytes] });
      });
    }), { numRuns: 100 });
  });

  test('a truncated or corrupt frame throws FrameDecodeError, never anything else', () => {
    const m = encodeMessage(MessageKind.Request, 7, { type: 1, s: 'hello world' });
    const frame = buildBatchFrame([m, m], m.length * 2);
    for (let cut = 2; cut < frame.length; cut++) {
      if (cut === 1 + m.length) continue; // a whole first message is a valid frame
      expect(() => [...decodeBatchFrame(frame.subarray(0, cut))]).toThrow(FrameDecodeError);
    }
    const badKind = Buffer.from(frame);
    badKind[1] = 9;
    expect(() => [...decodeBatchFrame(badKind)]).toThrow(FrameDecodeError);
  });

  test('control frames check their type', () => {
    const f = encodeControlFrame(FrameType.Hello, { v: 1 });
    expect(decodeControlFrame(f, FrameType.Hello)).toEqual({ v: 1 });
    expect(() => decodeControlFrame(f, FrameType.Auth)).toThrow(FrameDecodeError);
    expect(() => decodeControlFrame(Buffer.alloc(0), FrameType.Auth)).toThrow(FrameDecodeError);
  });
});

describe('handshake', () => {
  const a = { id: 'a', address: 'h:1' };
  const b = { id: 'b', address: 'h:2' };
  const n1 = new Uint8Array(32).fill(1);
  const n2 = new Uint8Array(32).fill(2);

  test('proofs depend on the secret, the role, both nonces and both identities', () => {
    const base = proof('s', 'dialer', n1, n2, a, b);
    expect(proofMatches(base, proof('s', 'dialer', n1, n2, a, b))).toBe(true);
    for (const other of [
      proof('t', 'dialer', n1, n2, a, b), proof('s', 'acceptor', n1, n2, a, b), proof('s', 'dialer', n2, n1, a, b),
      proof('s', 'dialer', n1, n2, b, a), proof('s', 'dialer', n1, n2, a, { id: 'b', address: 'h:3' }),
    ]) expect(proofMatches(base, other)).toBe(false);
    expect(proofMatches(base, base.subarray(1))).toBe(false);
  });

  function run(dialerSecret: string, acceptorSecret: string): { dialer: HandshakeStep[]; acceptor: HandshakeStep[] } {
    const toAcceptor: Buffer[] = [];
    const toDialer: Buffer[] = [];
    const d = new DialerHandshake({ ...a, secret: dialerSecret }, (f) => toAcceptor.push(f));
    const acc = new AcceptorHandshake({ ...b, secret: acceptorSecret }, (f) => toDialer.push(f), () => undefined, () => undefined);
    const steps = { dialer: [] as HandshakeStep[], acceptor: [] as HandshakeStep[] };
    d.start();
    while (toAcceptor.length || toDialer.length) {
      if (toAcceptor.length) steps.acceptor.push(acc.onFrame(toAcceptor.shift()!));
      if (toDialer.length) steps.dialer.push(d.onFrame(toDialer.shift()!));
    }
    return steps;
  }

  test('the same secret establishes both sides, each learning the other', () => {
    const { dialer, acceptor } = run('s', 's');
    expect(dialer.at(-1)).toEqual({ kind: 'established', peer: b });
    expect(acceptor.at(-1)).toEqual({ kind: 'established', peer: a });
  });

  test('a different secret is refused by whichever side checks first (the dialer)', () => {
    const { dialer, acceptor } = run('s', 'other');
    expect(dialer).toEqual([{ kind: 'refuse', reason: 'acceptor failed to prove the cluster secret' }]);
    expect(acceptor).toEqual([{ kind: 'continue' }]);
  });

  test('the acceptor can refuse on the Hello (simultaneous dial, own id)', () => {
    const acc = new AcceptorHandshake({ ...b, secret: 's' }, () => undefined, () => ({ code: 4002, reason: 'duplicate' }), () => undefined);
    const sent: Buffer[] = [];
    new DialerHandshake({ ...a, secret: 's' }, (f) => sent.push(f)).start();
    expect(acc.onFrame(sent[0]!)).toEqual({ kind: 'refuse', reason: 'duplicate', code: 4002 });
    const self = new AcceptorHandshake({ ...a, secret: 's' }, () => undefined, () => undefined, () => undefined);
    expect(self.onFrame(sent[0]!)).toMatchObject({ kind: 'refuse' });
  });

  test('the acceptor decides what the peer may be only after its proof: a refusal there ends the handshake before Welcome', () => {
    const toAcceptor: Buffer[] = [];
    const toDialer: Buffer[] = [];
    let askedAfterProof = 0;
    const acc = new AcceptorHandshake({ ...b, secret: 's' }, (f) => toDialer.push(f), () => undefined, () => {
      askedAfterProof++;
      return { code: 4001, reason: 'not a member' };
    });
    const d = new DialerHandshake({ ...a, secret: 's' }, (f) => toAcceptor.push(f));
    d.start();
    expect(acc.onFrame(toAcceptor.shift()!)).toEqual({ kind: 'continue' });
    expect(askedAfterProof).toBe(0);
    expect(d.onFrame(toDialer.shift()!)).toEqual({ kind: 'continue' });
    expect(acc.onFrame(toAcceptor.shift()!)).toEqual({ kind: 'refuse', reason: 'not a member', code: 4001 });
    expect(askedAfterProof).toBe(1);
    expect(toDialer).toEqual([]);
  });

  test('the dialer refuses an acceptor that is not the node it meant to dial', () => {
    const toAcceptor: Buffer[] = [];
    const toDialer: Buffer[] = [];
    const d = new DialerHandshake({ ...a, secret: 's' }, (f) => toAcceptor.push(f), 'n7');
    const acc = new AcceptorHandshake({ ...b, secret: 's' }, (f) => toDialer.push(f), () => undefined, () => undefined);
    d.start();
    acc.onFrame(toAcceptor.shift()!);
    expect(d.onFrame(toDialer.shift()!)).toEqual({ kind: 'refuse', reason: 'dialed n7 but b answered' });
  });

  test.each<[string, Record<string, unknown>]>([
    ['a version that is a map with toString (issue 14: String() of it crashed the node)', { v: { toString: 1 }, id: 'a', address: 'h:1', nonce: new Uint8Array(32) }],
    ['an id with a NUL', { v: 1, id: 'a\u0000', address: 'h:1', nonce: new Uint8Array(32) }],
    ['an address without a port', { v: 1, id: 'a', address: 'h', nonce: new Uint8Array(32) }],
    ['a short nonce', { v: 1, id: 'a', address: 'h:1', nonce: new Uint8Array(3) }],
    ['a nonce that is a string', { v: 1, id: 'a', address: 'h:1', nonce: 'x'.repeat(32) }],
    ['another protocol version', { v: 99, id: 'a', address: 'h:1', nonce: new Uint8Array(32) }],
  ])('a Hello with %s is refused (or a protocol error), never anything else', (_name, fields) => {
    const acc = new AcceptorHandshake({ ...b, secret: 's' }, () => undefined, () => undefined, () => undefined);
    let outcome: unknown;
    try {
      outcome = acc.onFrame(encodeControlFrame(FrameType.Hello, fields));
    } catch (err) {
      expect(err).toBeInstanceOf(FrameDecodeError);
      outcome = { kind: 'refuse' };
    }
    expect(outcome).toMatchObject({ kind: 'refuse' });
  });

  test('an oversized handshake frame is refused before it is decoded', () => {
    const acc = new AcceptorHandshake({ ...b, secret: 's' }, () => undefined, () => undefined, () => undefined);
    const huge = encodeControlFrame(FrameType.Hello, { v: 1, id: 'a', address: 'h:1', nonce: new Uint8Array(32), pad: 'x'.repeat(6_000_000) });
    expect(() => acc.onFrame(huge)).toThrow(/exceeds 4096/);
  });
});

describe('channel binding (issue 15: the handshake inside TLS is bound to the TLS session)', () => {
  const a = { id: 'a', address: 'h:1' };
  const b = { id: 'b', address: 'h:2' };
  function handshake(dialerBinding?: Uint8Array, acceptorBinding?: Uint8Array, secrets: { dialer?: string[]; acceptor?: string[] } = {}) {
    const toAcceptor: Buffer[] = [];
    const toDialer: Buffer[] = [];
    const [ds, ...dAccepted] = secrets.dialer ?? ['s'];
    const [as, ...aAccepted] = secrets.acceptor ?? ['s'];
    const d = new DialerHandshake({ ...a, secret: ds!, acceptedSecrets: dAccepted }, (f) => toAcceptor.push(f));
    d.bindChannel(dialerBinding);
    const acc = new AcceptorHandshake({ ...b, secret: as!, acceptedSecrets: aAccepted }, (f) => toDialer.push(f), () => undefined, () => undefined, acceptorBinding);
    const steps: HandshakeStep[] = [];
    d.start();
    while (toAcceptor.length || toDialer.length) {
      if (toAcceptor.length) steps.push(acc.onFrame(toAcceptor.shift()!));
      if (toDialer.length) steps.push(d.onFrame(toDialer.shift()!));
    }
    return steps;
  }
  const x = new Uint8Array(32).fill(7);
  const y = new Uint8Array(32).fill(8);

  test('the same binding on both sides establishes', () => {
    expect(handshake(x, x).at(-1)).toMatchObject({ kind: 'established' });
  });

  test('proofs made on another TLS session (a relay between two sessions) are refused', () => {
    expect(handshake(x, y).at(-1)).toMatchObject({ kind: 'refuse', reason: 'acceptor failed to prove the cluster secret on this TLS session' });
    expect(handshake(undefined, y).at(-1)).toMatchObject({ kind: 'refuse' });
  });

  test('a secret rotation: a node proving the new secret and one still on the old, each accepting the other, connect both ways', () => {
    expect(handshake(undefined, undefined, { dialer: ['new', 'old'], acceptor: ['old', 'new'] }).at(-1)).toMatchObject({ kind: 'established' });
    expect(handshake(undefined, undefined, { dialer: ['old', 'new'], acceptor: ['new', 'old'] }).at(-1)).toMatchObject({ kind: 'established' });
    expect(handshake(undefined, undefined, { dialer: ['new'], acceptor: ['old'] }).at(-1)).toMatchObject({ kind: 'refuse' });
  });
});
