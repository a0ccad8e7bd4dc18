// Byte helpers shared by the engines: bytewise order, argument checks, and the conversions
// between Node Buffers (what the native bindings speak) and plain Uint8Array views (what the
// Engine interface hands out).
import type { BatchOp, KeyRange } from './engine.js';

/** Bytewise comparison, shorter first on a common prefix (LevelDB's default comparator). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

/** A plain Uint8Array over the same memory (no copy), so every engine returns the same type. */
export function toView(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A Buffer over the same memory (no copy); the rocksdb binding stringifies anything else. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Empty keys are refused everywhere: rocksdb rejects them and keys.ts never makes one. */
export function checkKey(key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) throw new TypeError('key must be a Uint8Array');
  if (key.length === 0) throw new TypeError('key must not be empty');
}

export function checkValue(value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError('value must be a Uint8Array');
}

/** Validates every op before any is written, so a bad op never poisons a shared group commit. */
export function checkOps(ops: readonly BatchOp[]): void {
  if (!Array.isArray(ops)) throw new TypeError('batch ops must be an array');
  for (const op of ops) {
    checkKey(op.key);
    if (op.type === 'put') checkValue(op.value);
    else if (op.type !== 'del') throw new TypeError(`unknown batch op type ${String((op as { type: unknown }).type)}`);
  }
}

export function checkRange(range: KeyRange): void {
  if (range.gte !== undefined && !(range.gte instanceof Uint8Array)) throw new TypeError('gte must be a Uint8Array');
  if (range.lt !== undefined && !(range.lt instanceof Uint8Array)) throw new TypeError('lt must be a Uint8Array');
}

export function inRange(key: Uint8Array, range: KeyRange): boolean {
  if (range.gte !== undefined && compareBytes(key, range.gte) < 0) return false;
  if (range.lt !== undefined && compareBytes(key, range.lt) >= 0) return false;
  return true;
}

/** True when no key can fall in the range (lt at or below gte). */
export function isEmptyRange(range: KeyRange): boolean {
  if (range.lt === undefined) return false;
  if (range.lt.length === 0) return true;
  return range.gte !== undefined && compareBytes(range.lt, range.gte) <= 0;
}

export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/**
 * A key inside the range (its lowest possible one) or undefined when the range holds none.
 * A synced delete of it after a range delete makes the range delete durable: the engines'
 * range clear takes no sync option, and a synced log write covers everything before it.
 */
export function rangeBarrierKey(range: KeyRange): Uint8Array | undefined {
  const key = range.gte !== undefined && range.gte.length > 0 ? range.gte : Uint8Array.of(0);
  return inRange(key, range) ? key : undefined;
}
