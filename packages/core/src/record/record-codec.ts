// Binary form of a StoredRecord, as engines store it and peers exchange it. Big-endian, versioned,
// and closed by a CRC-32 so a torn write or a flipped bit on disk is an error, never a wrong value:
//
//   offset  size  field
//   0       1     magic 0x52 ('R')
//   1       1     version (1)
//   2       1     flags: bit 0 tombstone, bit 1 has-expiry; other bits must be 0
//   3       6     ts.wallMs (u48)
//   9       2     ts.logical (u16)
//   11      4     ts.node (u32)
//   15      6     expiresAtMs (u48), present only with has-expiry (and then never 0)
//   ..      4     value length (u32)
//   ..      n     value bytes (none for a tombstone)
//   ..      4     CRC-32 (IEEE) of every byte before it
//
// Decoding is strict: one record has exactly one encoding, so whatever decodes re-encodes to the
// very same bytes (no trailing bytes, no unknown flags, no zero expiry behind the flag).
import { RecordCorruptError, RecordTruncatedError } from '../errors.js';
import { LOGICAL_MAX, WALL_MS_MAX, type Timestamp } from '../clock/timestamp.js';
import { crc32 } from '../util/crc32.js';
import type { StoredRecord } from './record.js';

export const RECORD_MAGIC = 0x52;
export const RECORD_VERSION = 1;
const FLAG_TOMBSTONE = 0x01;
const FLAG_EXPIRY = 0x02;
const KNOWN_FLAGS = FLAG_TOMBSTONE | FLAG_EXPIRY;
const FIXED_HEADER_SIZE = 15; // magic, version, flags, wallMs, logical, node
const EXPIRY_SIZE = 6;
const LENGTH_SIZE = 4;
const CRC_SIZE = 4;
/** The smallest valid encoding: a record without expiry and with an empty value. */
export const RECORD_MIN_SIZE = FIXED_HEADER_SIZE + LENGTH_SIZE + CRC_SIZE;
const U32_MAX = 0xffffffff;

/** What decodeRecordHeader() reads: everything but the value bytes. */
export interface RecordHeader {
  readonly ts: Timestamp;
  readonly tombstone: boolean;
  readonly expiresAtMs: number;
  readonly valueLength: number;
}

/** Bytes encodeRecord(rec) produces. */
export function encodedRecordSize(rec: StoredRecord): number {
  const expiry = rec.expiresAtMs !== 0 ? EXPIRY_SIZE : 0;
  return FIXED_HEADER_SIZE + expiry + LENGTH_SIZE + rec.value.length + CRC_SIZE;
}

/**
 * Encode a record into a fresh array from `alloc` (default: one of its own). Out-of-range fields
 * are a programmer mistake and throw RangeError. Bytes only handed to an engine, which copies
 * them, can come from a shared slab (allocBytes): no allocation of their own per record.
 */
export function encodeRecord(rec: StoredRecord, alloc: (size: number) => Uint8Array = newBytes): Uint8Array {
  checkEncodable(rec);
  const out = alloc(encodedRecordSize(rec));
  const hasExpiry = rec.expiresAtMs !== 0;
  out[0] = RECORD_MAGIC;
  out[1] = RECORD_VERSION;
  out[2] = (rec.tombstone ? FLAG_TOMBSTONE : 0) | (hasExpiry ? FLAG_EXPIRY : 0);
  // Byte by byte rather than through a DataView: one object less per record.
  putU48(out, 3, rec.ts.wallMs);
  out[9] = rec.ts.logical >>> 8;
  out[10] = rec.ts.logical & 0xff;
  putU32(out, 11, rec.ts.node);
  let at = FIXED_HEADER_SIZE;
  if (hasExpiry) {
    putU48(out, at, rec.expiresAtMs);
    at += EXPIRY_SIZE;
  }
  putU32(out, at, rec.value.length);
  at += LENGTH_SIZE;
  out.set(rec.value, at);
  at += rec.value.length;
  putU32(out, at, crc32(out, 0, 0, at));
  return out;
}

function newBytes(size: number): Uint8Array {
  return new Uint8Array(size);
}

/**
 * Decode a whole encoded record. Throws RecordTruncatedError when the bytes end early and
 * RecordCorruptError for anything else wrong; it never returns a value the bytes do not hold.
 * The returned value is a view into `bytes` (no copy): copy it (`.slice()`) before reusing or
 * mutating the input buffer.
 */
export function decodeRecord(bytes: Uint8Array): StoredRecord {
  return decode(bytes, true);
}

/**
 * decodeRecord without the checksum, for bytes already verified or encoded by this process (a
 * record cache): the CRC is most of a decode's cost. The structure is still checked.
 */
export function decodeRecordUnchecked(bytes: Uint8Array): StoredRecord {
  return decode(bytes, false);
}

function decode(bytes: Uint8Array, verify: boolean): StoredRecord {
  const { header, valueOffset } = parse(bytes, verify);
  return {
    ts: header.ts,
    tombstone: header.tombstone,
    expiresAtMs: header.expiresAtMs,
    value: bytes.subarray(valueOffset, valueOffset + header.valueLength),
  };
}

/**
 * The timestamp, tombstone flag, expiry and value length of an encoded record, without touching
 * the value: for cheap last-write-wins comparisons. Validates exactly as decodeRecord does,
 * checksum included, so it throws on the same inputs.
 */
export function decodeRecordHeader(bytes: Uint8Array): RecordHeader {
  return parse(bytes, true).header;
}

function parse(bytes: Uint8Array, verify: boolean): { header: RecordHeader; valueOffset: number } {
  // Length first: a short buffer is reported as truncated whatever its content.
  if (bytes.length < RECORD_MIN_SIZE) {
    throw new RecordTruncatedError(`record is ${bytes.length} bytes, shorter than the ${RECORD_MIN_SIZE}-byte minimum`);
  }
  if (bytes[0] !== RECORD_MAGIC) throw new RecordCorruptError(`bad record magic 0x${hex(bytes[0])}`);
  if (bytes[1] !== RECORD_VERSION) throw new RecordCorruptError(`unknown record version ${bytes[1]}`);
  const flags = bytes[2];
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new RecordCorruptError(`unknown record flags 0x${hex(flags)}`);
  const hasExpiry = (flags & FLAG_EXPIRY) !== 0;
  const lengthAt = FIXED_HEADER_SIZE + (hasExpiry ? EXPIRY_SIZE : 0);
  if (bytes.length < lengthAt + LENGTH_SIZE + CRC_SIZE) {
    throw new RecordTruncatedError(`record is ${bytes.length} bytes, its header needs ${lengthAt + LENGTH_SIZE + CRC_SIZE}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const valueLength = view.getUint32(lengthAt);
  const valueOffset = lengthAt + LENGTH_SIZE;
  const total = valueOffset + valueLength + CRC_SIZE;
  if (bytes.length < total) throw new RecordTruncatedError(`record is ${bytes.length} bytes, its header declares ${total}`);
  if (bytes.length > total) throw new RecordCorruptError(`record has ${bytes.length - total} trailing bytes`);
  const crcAt = total - CRC_SIZE;
  const stored = view.getUint32(crcAt);
  const actual = verify ? crc32(bytes, 0, 0, crcAt) : stored;
  if (stored !== actual) throw new RecordCorruptError(`record checksum mismatch: stored 0x${hex(stored)}, computed 0x${hex(actual)}`);
  // The checksum only proves the bytes are what was written; these keep the encoding canonical.
  const tombstone = (flags & FLAG_TOMBSTONE) !== 0;
  if (tombstone && valueLength !== 0) throw new RecordCorruptError(`tombstone carries a ${valueLength}-byte value`);
  const expiresAtMs = hasExpiry ? readU48(view, FIXED_HEADER_SIZE) : 0;
  if (hasExpiry && expiresAtMs === 0) throw new RecordCorruptError('record has the expiry flag but a zero expiry');
  const ts = { wallMs: readU48(view, 3), logical: view.getUint16(9), node: view.getUint32(11) };
  return { header: { ts, tombstone, expiresAtMs, valueLength }, valueOffset };
}

function checkEncodable(rec: StoredRecord): void {
  const { wallMs, logical, node } = rec.ts;
  if (!isUint(wallMs, WALL_MS_MAX)) throw new RangeError(`record ts.wallMs out of range: ${wallMs}`);
  if (!isUint(logical, LOGICAL_MAX)) throw new RangeError(`record ts.logical out of range: ${logical}`);
  if (!isUint(node, U32_MAX)) throw new RangeError(`record ts.node out of range: ${node}`);
  if (!isUint(rec.expiresAtMs, WALL_MS_MAX)) throw new RangeError(`record expiresAtMs out of range: ${rec.expiresAtMs}`);
  if (rec.value.length > U32_MAX) throw new RangeError(`record value too large: ${rec.value.length} bytes`);
  if (rec.tombstone && rec.value.length !== 0) throw new RangeError('a tombstone must have an empty value');
}

function isUint(n: number, max: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= max;
}

// u48 as a u16 high part and a u32 low part: exact for every integer up to 2^48 - 1.
function putU48(out: Uint8Array, at: number, n: number): void {
  const hi = Math.floor(n / 2 ** 32);
  out[at] = hi >>> 8;
  out[at + 1] = hi & 0xff;
  putU32(out, at + 2, n % 2 ** 32);
}

function putU32(out: Uint8Array, at: number, n: number): void {
  out[at] = n >>> 24;
  out[at + 1] = (n >>> 16) & 0xff;
  out[at + 2] = (n >>> 8) & 0xff;
  out[at + 3] = n & 0xff;
}

function readU48(view: DataView, at: number): number {
  return view.getUint16(at) * 2 ** 32 + view.getUint32(at + 2);
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
