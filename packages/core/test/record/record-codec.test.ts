import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  LOGICAL_MAX,
  RECORD_MIN_SIZE,
  RecordCorruptError,
  RecordTruncatedError,
  WALL_MS_MAX,
  decodeRecord,
  decodeRecordHeader,
  decodeRecordUnchecked,
  encodeRecord,
  encodedRecordSize,
  isRingkvError,
  type StoredRecord,
} from '@ringkv/core';
import { crc32 } from '../../src/util/crc32.js';

const rec = (over: Partial<StoredRecord> = {}): StoredRecord => ({
  ts: { wallMs: 1_700_000_000_123, logical: 7, node: 0xdeadbeef },
  tombstone: false,
  expiresAtMs: 0,
  value: new TextEncoder().encode('hello'),
  ...over,
});

// Plain objects for toEqual: a subarray view and a fresh array with the same bytes compare equal.
const plain = (r: StoredRecord) => ({ ...r, ts: { ...r.ts }, value: Array.from(r.value) });

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

const recordArb: fc.Arbitrary<StoredRecord> = fc
  .record({
    wallMs: fc.oneof(fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, WALL_MS_MAX), fc.integer({ min: 0, max: WALL_MS_MAX })),
    logical: fc.oneof(fc.constantFrom(0, LOGICAL_MAX), fc.integer({ min: 0, max: LOGICAL_MAX })),
    node: fc.oneof(fc.constantFrom(0, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff })),
    tombstone: fc.boolean(),
    expiresAtMs: fc.oneof(fc.constant(0), fc.constantFrom(1, WALL_MS_MAX), fc.integer({ min: 0, max: WALL_MS_MAX })),
    value: fc.uint8Array({ maxLength: 64 }),
  })
  .map(({ wallMs, logical, node, tombstone, expiresAtMs, value }) => ({
    ts: { wallMs, logical, node },
    tombstone,
    expiresAtMs,
    value: tombstone ? new Uint8Array(0) : value,
  }));

describe('record codec: layout', () => {
  test('a known record encodes to known bytes', () => {
    const bytes = encodeRecord(rec({ expiresAtMs: 0x0102_0304_0506 }));
    const body = [
      0x52, 0x01, 0x02, // magic, version, flags (has-expiry)
      0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b, // wallMs 1_700_000_000_123
      0x00, 0x07, // logical
      0xde, 0xad, 0xbe, 0xef, // node
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, // expiresAtMs
      0x00, 0x00, 0x00, 0x05, // value length
      0x68, 0x65, 0x6c, 0x6c, 0x6f, // "hello"
    ];
    const crc = crc32(Uint8Array.from(body));
    expect(Array.from(bytes)).toEqual([...body, crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff]);
  });

  test.each([
    ['value, no expiry', rec(), 15 + 4 + 5 + 4],
    ['value with expiry', rec({ expiresAtMs: 5 }), 15 + 6 + 4 + 5 + 4],
    ['empty value', rec({ value: new Uint8Array(0) }), RECORD_MIN_SIZE],
    ['tombstone', rec({ tombstone: true, value: new Uint8Array(0) }), RECORD_MIN_SIZE],
  ])('encodedRecordSize: %s', (_name, r, size) => {
    expect(encodedRecordSize(r)).toBe(size);
    expect(encodeRecord(r).length).toBe(size);
  });

  test('decodeRecord returns the value as a view into the input, and the header without it', () => {
    const bytes = encodeRecord(rec());
    const back = decodeRecord(bytes);
    expect(back.value.buffer).toBe(bytes.buffer);
    expect(decodeRecordHeader(bytes)).toEqual({ ts: rec().ts, tombstone: false, expiresAtMs: 0, valueLength: 5 });
  });

  test('decodes from a subarray at a non-zero offset of a larger buffer', () => {
    const bytes = encodeRecord(rec({ expiresAtMs: 99 }));
    const big = new Uint8Array(bytes.length + 17);
    big.set(bytes, 9);
    expect(plain(decodeRecord(big.subarray(9, 9 + bytes.length)))).toEqual(plain(rec({ expiresAtMs: 99 })));
  });

  test.each([
    ['wallMs too large', rec({ ts: { wallMs: WALL_MS_MAX + 1, logical: 0, node: 0 } })],
    ['wallMs fractional', rec({ ts: { wallMs: 1.5, logical: 0, node: 0 } })],
    ['logical too large', rec({ ts: { wallMs: 0, logical: LOGICAL_MAX + 1, node: 0 } })],
    ['node negative', rec({ ts: { wallMs: 0, logical: 0, node: -1 } })],
    ['expiry negative', rec({ expiresAtMs: -1 })],
    ['tombstone with a value', rec({ tombstone: true })],
  ])('encodeRecord rejects %s with a RangeError', (_name, r) => {
    expect(() => encodeRecord(r)).toThrow(RangeError);
  });
});

describe('record codec: rejects bad bytes', () => {
  const good = encodeRecord(rec({ expiresAtMs: 1234 }));
  // Rewrite bytes and fix the checksum up, so the check under test is not the CRC.
  const patched = (edit: (b: Uint8Array) => Uint8Array): Uint8Array => {
    const b = edit(Uint8Array.from(good));
    const view = new DataView(b.buffer);
    if (b.length >= 4) view.setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)));
    return b;
  };
  const tombstoneWithValue = (() => {
    const b = encodeRecord(rec());
    b[2] = 0x01;
    new DataView(b.buffer).setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)));
    return b;
  })();
  const zeroExpiry = patched((b) => {
    b.fill(0, 15, 21);
    return b;
  });

  test.each([
    ['empty input', new Uint8Array(0), RecordTruncatedError],
    ['shorter than the minimum', good.subarray(0, RECORD_MIN_SIZE - 1), RecordTruncatedError],
    ['cut inside the value', good.subarray(0, good.length - 6), RecordTruncatedError],
    ['missing the last CRC byte', good.subarray(0, good.length - 1), RecordTruncatedError],
    ['bad magic', patched((b) => ((b[0] = 0x53), b)), RecordCorruptError],
    ['unknown version', patched((b) => ((b[1] = 2), b)), RecordCorruptError],
    ['unknown flag bit', patched((b) => ((b[2] |= 0x04), b)), RecordCorruptError],
    ['trailing bytes', Uint8Array.from([...good, 0]), RecordCorruptError],
    ['checksum mismatch', Uint8Array.from(good).map((x, i) => (i === 20 ? x ^ 1 : x)), RecordCorruptError],
    ['tombstone with a value', tombstoneWithValue, RecordCorruptError],
    ['expiry flag with a zero expiry', zeroExpiry, RecordCorruptError],
  ])('%s', (_name, bytes, errorClass) => {
    const err = errorOf(() => decodeRecord(bytes));
    expect(err).toBeInstanceOf(errorClass);
    expect(isRingkvError(err)).toBe(true);
    expect(errorOf(() => decodeRecordHeader(bytes))).toBeInstanceOf(errorClass);
  });
});

describe('record codec: unchecked decode (bytes a cache already verified)', () => {
  test('skips only the checksum: a bad CRC decodes, a bad structure still throws', () => {
    const bytes = encodeRecord(rec());
    bytes[bytes.length - 1] ^= 0xff;
    expect(() => decodeRecord(bytes)).toThrow(RecordCorruptError);
    expect(plain(decodeRecordUnchecked(bytes))).toEqual(plain(rec()));
    expect(() => decodeRecordUnchecked(bytes.subarray(0, bytes.length - 1))).toThrow(RecordTruncatedError);
    const badMagic = encodeRecord(rec());
    badMagic[0] = 0;
    expect(() => decodeRecordUnchecked(badMagic)).toThrow(RecordCorruptError);
  });
});

describe('record codec: properties', () => {
  test('round trip, and the header agrees with the record', () => {
    fc.assert(
      fc.property(recordArb, (r) => {
        const bytes = encodeRecord(r);
        expect(bytes.length).toBe(encodedRecordSize(r));
        expect(plain(decodeRecord(bytes))).toEqual(plain(r));
        expect(plain(decodeRecordUnchecked(bytes))).toEqual(plain(r));
        expect(decodeRecordHeader(bytes)).toEqual({ ts: r.ts, tombstone: r.tombstone, expiresAtMs: r.expiresAtMs, valueLength: r.value.length });
      }),
      { numRuns: 300 },
    );
  });

  test('encoding into an allocator\'s view of a shared, dirty buffer gives the same bytes there', () => {
    fc.assert(
      fc.property(recordArb, fc.integer({ min: 0, max: 64 }), (r, offset) => {
        const shared = new Uint8Array(offset + 256).fill(0xa5);
        const bytes = encodeRecord(r, (size) => shared.subarray(offset, offset + size));
        expect(bytes.buffer).toBe(shared.buffer);
        expect(bytes.byteOffset).toBe(offset);
        expect(Array.from(bytes)).toEqual(Array.from(encodeRecord(r)));
        expect(shared.subarray(offset + bytes.length).every((b) => b === 0xa5)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  test('every truncation of a valid encoding is RecordTruncatedError', () => {
    fc.assert(
      fc.property(recordArb, (r) => {
        const bytes = encodeRecord(r);
        for (let len = 0; len < bytes.length; len++) {
          const cut = bytes.slice(0, len);
          expect(errorOf(() => decodeRecord(cut))).toBeInstanceOf(RecordTruncatedError);
          expect(errorOf(() => decodeRecordHeader(cut))).toBeInstanceOf(RecordTruncatedError);
        }
      }),
      { numRuns: 100 },
    );
  });

  test('any single-bit flip is an error, never a record', () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), fc.nat(7), (r, at, bit) => {
        const bytes = encodeRecord(r);
        const flipped = Uint8Array.from(bytes);
        flipped[at % bytes.length] ^= 1 << bit;
        const err = errorOf(() => decodeRecord(flipped));
        expect(err instanceof RecordCorruptError || err instanceof RecordTruncatedError).toBe(true);
        expect(errorOf(() => decodeRecordHeader(flipped))).toBeInstanceOf((err as Error).constructor);
      }),
      { numRuns: 500 },
    );
  });

  test('garbage either fails with a record error or decodes to something that re-encodes to the input', () => {
    // Garbage built to get past the cheap checks (magic, version, a plausible length, a valid CRC)
    // half the time, so the canonical-form checks behind them are exercised too.
    const garbageArb = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      fc.tuple(fc.nat(3), fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.boolean(), fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ maxLength: 6 }), fc.nat(2)).map(
        ([flags, tsBytes, expiry, value, expiryBytes, lengthSkew]) => {
          const body = [0x52, 0x01, flags | (expiry ? 2 : 0), ...tsBytes, ...(expiry ? [...expiryBytes, 0, 0, 0, 0, 0, 0].slice(0, 6) : [])];
          const len = Math.max(0, value.length + lengthSkew - 1);
          const b = Uint8Array.from([...body, len >>> 24, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff, ...value, 0, 0, 0, 0]);
          new DataView(b.buffer).setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)));
          return b;
        },
      ),
    );
    let decoded = 0;
    fc.assert(
      fc.property(garbageArb, (bytes) => {
        let r: StoredRecord;
        try {
          r = decodeRecord(bytes);
        } catch (e) {
          expect(e instanceof RecordCorruptError || e instanceof RecordTruncatedError).toBe(true);
          return;
        }
        decoded++;
        expect(Array.from(encodeRecord(r))).toEqual(Array.from(bytes));
      }),
      { numRuns: 500 },
    );
    expect(decoded).toBeGreaterThan(0); // the generator does reach the canonical-form checks
  });
});
