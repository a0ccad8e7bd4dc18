// The structural check every peer body passes before msgpackr builds an object from it
// (msgpack-guard.ts): what msgpackr itself writes from plain data passes and decodes to the same
// data; extension types, non-string keys, nesting and container counts over the limits, lying
// counts and trailing bytes are refused with FrameDecodeError, and a body of millions of empty
// maps is refused without building them.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { FrameDecodeError, bodyLimits, decodeBody } from '../../src/peer/frame-codec.js';
import { checkMsgpack, type MsgpackLimits } from '../../src/peer/msgpack-guard.js';
import { checkProperty } from '../../../../test/support/fuzz.js';
import { isPlain, mpDamaged, mpExtension, mpValue } from '../protocol/msgpack-arbitraries.js';

const FILE = 'packages/server/test/peer/msgpack-guard.test.ts';
// The options of frame-codec.ts: plain maps, no records, no extra types.
const packr = new Packr({ useRecords: false, copyBuffers: true, structuredClone: false, moreTypes: false, mapsAsObjects: true });
const ROOMY: MsgpackLimits = { maxDepth: 64, maxContainers: 1_000_000 };

const check = (bytes: Uint8Array, limits: MsgpackLimits = ROOMY): void => checkMsgpack(bytes, 0, bytes.length, limits);

function refusal(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** Whether a JSON-like value holds a "__proto__" key anywhere (msgpackr renames it, see below). */
function hasProtoKey(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasProtoKey);
  if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array)) {
    return Object.keys(v).some((k) => k === '__proto__' || hasProtoKey((v as Record<string, unknown>)[k]));
  }
  return false;
}

/** Comparable form: -0 is written as the integer 0, and bytes come back as Buffers. */
function normalized(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: [...v] };
  if (Array.isArray(v)) return v.map(normalized);
  if (typeof v === 'number') return v === 0 ? 0 : v;
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalized(x)]));
  return v;
}

describe('what msgpackr writes from plain data', () => {
  test('passes the guard and decodes to the same value (JSON values)', async () => {
    await checkProperty(fc.property(fc.jsonValue({ maxDepth: 12 }).filter((v) => !hasProtoKey(v)), (v) => {
      const bytes = packr.pack(v);
      check(bytes);
      expect(normalized(decodeBody(bytes, 0, bytes.length))).toEqual(normalized(v));
    }), { runs: 1000, file: FILE, test: 'passes the guard and decodes to the same value (JSON values)' });
  });

  test('passes the guard and decodes to the same value (byte arrays in maps and arrays)', async () => {
    const withBytes = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.uint8Array({ maxLength: 300 }), fc.string(), fc.integer(), fc.constant(null),
        fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__'), tie('v'), { maxKeys: 4, noNullPrototype: true })),
    })).v;
    await checkProperty(fc.property(withBytes, (v) => {
      const bytes = packr.pack(v);
      check(bytes);
      const back = decodeBody(bytes, 0, bytes.length);
      expect(normalized(back)).toEqual(normalized(v));
    }), { runs: 500, file: FILE, test: 'passes the guard and decodes to the same value (byte arrays in maps and arrays)' });
  });

  test('a "__proto__" key arrives as an own key "__proto_": no prototype is ever set from the wire', () => {
    const v = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const bytes = packr.pack(v);
    check(bytes);
    const back = decodeBody(bytes, 0, bytes.length) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back).sort()).toEqual(['__proto_', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('refused with FrameDecodeError', () => {
  const map = (n: number) => (n <= 15 ? [0x80 | n] : [0xde, n >> 8, n & 0xff]);
  test.each([
    ['a Date (msgpackr writes a timestamp extension)', [...packr.pack(new Date(0))]],
    ['fixext 1 (msgpackr writes undefined so)', [0xd4, 0x00, 0x00]],
    ['fixext 16', [0xd8, 0x05, ...new Array(16).fill(0)]],
    ['ext 8', [0xc7, 0x02, 0x01, 0xaa, 0xbb]],
    ['ext 32 declaring 4 GiB', [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ['an extension inside a map', [0x81, 0xa1, 0x61, 0xd6, 0xff, 0, 0, 0, 0]],
    ['the never-used byte 0xc1', [0xc1]],
    ['a map with an integer key', [0x81, 0x01, 0x02]],
    ['a map with a map as key', [0x81, 0x80, 0x01]],
    ['a map with nil as key', [0x81, 0xc0, 0x01]],
    ['a map with a bin key', [0x81, 0xc4, 0x01, 0x61, 0x01]],
    ['a map with a non-string key behind a string one', [0x82, 0xa1, 0x61, 0x01, 0xcc, 0x05, 0x02]],
    ['an array declaring more items than bytes remain', [0x93, 0x01]],
    ['an array32 declaring 4 billion items', [0xdd, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02]],
    ['a map16 declaring 65535 pairs', [0xde, 0xff, 0xff, 0xa1, 0x61, 0x01]],
    ['a str32 longer than the body', [0xdb, 0x00, 0x00, 0x01, 0x00, 0x61]],
    ['a bin16 longer than the body', [0xc5, 0x00, 0x10, 0x01]],
    ['a float64 cut short', [0xcb, 0x00, 0x00]],
    ['a truncated array16 header', [0xdc, 0x00]],
    ['trailing bytes after one value', [0x01, 0x02]],
    ['trailing bytes after a map', [...map(1), 0xa1, 0x61, 0x01, 0xc0]],
    ['nothing at all', []],
  ])('%s', (_name, bytes) => {
    const b = Uint8Array.from(bytes);
    expect(refusal(() => check(b))).toBeInstanceOf(FrameDecodeError);
    expect(refusal(() => decodeBody(b, 0, b.length))).toBeInstanceOf(FrameDecodeError);
  });

  test('nesting beyond maxDepth, and exactly maxDepth passes', () => {
    const nested = (depth: number) => Uint8Array.from([...new Array(depth - 1).fill(0x91), 0x90]);
    expect(() => check(nested(8), { maxDepth: 8, maxContainers: 100 })).not.toThrow();
    expect(refusal(() => check(nested(9), { maxDepth: 8, maxContainers: 100 }))).toBeInstanceOf(FrameDecodeError);
    // A body nests at most 16 deep (bodyLimits): the deepest legal message nests 5.
    expect(() => decodeBody(nested(16), 0, 16)).not.toThrow();
    expect(refusal(() => decodeBody(nested(17), 0, 17))).toBeInstanceOf(FrameDecodeError);
    expect(refusal(() => decodeBody(nested(100_000), 0, 100_000))).toBeInstanceOf(FrameDecodeError);
  });

  test('more containers than maxContainers, and exactly maxContainers passes', () => {
    const emptyMaps = (n: number) => Uint8Array.from([0x90 | n, ...new Array(n).fill(0x80)]);
    expect(() => check(emptyMaps(9), { maxDepth: 4, maxContainers: 10 })).not.toThrow();
    expect(refusal(() => check(emptyMaps(10), { maxDepth: 4, maxContainers: 10 }))).toBeInstanceOf(FrameDecodeError);
  });

  test('4 MiB of empty maps (an array32 of 0x80 bytes) is refused without building them', () => {
    const n = 4 * 1024 * 1024;
    const body = Buffer.alloc(5 + n, 0x80);
    body[0] = 0xdd;
    body.writeUInt32BE(n, 1);
    // msgpackr would build 4 Mi objects (hundreds of MiB of heap); the guard counts and stops.
    const before = process.memoryUsage().heapUsed;
    const err = refusal(() => decodeBody(body, 0, body.length));
    const grownBytes = process.memoryUsage().heapUsed - before;
    expect(err).toBeInstanceOf(FrameDecodeError);
    expect((err as Error).message).toMatch(/more than \d+ maps and arrays/);
    expect(grownBytes).toBeLessThan(32 * 1024 * 1024);
  });

  test('the same bytes inside a larger buffer are checked only between start and end', () => {
    const inner = packr.pack({ a: [1, 2, 3] });
    const buf = Buffer.concat([Buffer.from([0xc1, 0xd4]), inner, Buffer.from([0xc1])]);
    expect(() => checkMsgpack(buf, 2, 2 + inner.length, ROOMY)).not.toThrow();
    expect(decodeBody(buf, 2, 2 + inner.length)).toEqual({ a: [1, 2, 3] });
    expect(refusal(() => checkMsgpack(buf, 2, 3 + inner.length, ROOMY))).toBeInstanceOf(FrameDecodeError);
  });
});

describe('against hand-written msgpack of every encoding', () => {
  test('the guard accepts exactly the well-formed values within the limits', async () => {
    const limits = fc.record({ maxDepth: fc.integer({ min: 1, max: 6 }), maxContainers: fc.integer({ min: 1, max: 30 }) });
    await checkProperty(fc.property(mpValue, limits, (v, l) => {
      const bytes = Uint8Array.from(v.bytes);
      const expected = v.ok && v.depth <= l.maxDepth && v.containers <= l.maxContainers;
      const err = refusal(() => checkMsgpack(bytes, 0, bytes.length, l));
      if (expected) expect(err).toBeUndefined();
      else expect(err).toBeInstanceOf(FrameDecodeError);
    }), { runs: 2000, file: FILE, test: 'the guard accepts exactly the well-formed values within the limits' });
  });

  test('an extension type anywhere is refused', async () => {
    await checkProperty(fc.property(mpValue, mpExtension, fc.nat(), (v, ext, at) => {
      // Wrap both in an array: the extension is always one item of it, wherever it goes.
      const items = [v.bytes, ext.bytes];
      if (at % 2) items.reverse();
      const bytes = Uint8Array.from([0x92, ...items.flat()]);
      expect(refusal(() => check(bytes))).toBeInstanceOf(FrameDecodeError);
    }), { runs: 500, file: FILE, test: 'an extension type anywhere is refused' });
  });

  test('damaged bytes: FrameDecodeError or a value, and what passes the guard msgpackr decodes to plain data', async () => {
    await checkProperty(fc.property(mpDamaged, (b) => {
      const bytes = Uint8Array.from(b);
      let value: unknown;
      try {
        value = decodeBody(bytes, 0, bytes.length);
      } catch (err) {
        expect(err).toBeInstanceOf(FrameDecodeError);
        return;
      }
      expect(isPlain(value, bodyLimits(bytes.length).maxDepth)).toBe(true);
    }), { runs: 2000, file: FILE, test: 'damaged bytes: FrameDecodeError or a value, and what passes the guard msgpackr decodes to plain data' });
  });
});
