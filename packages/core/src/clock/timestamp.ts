// A hybrid-logical-clock timestamp: physical milliseconds, a logical counter for events within the
// same millisecond, and the writing node's tag as the final tiebreak so two nodes never tie.
import { InvalidTimestampError } from '../errors.js';

export interface Timestamp {
  /** Physical component, Unix milliseconds; fits in 48 bits. */
  readonly wallMs: number;
  /** Logical counter within one wallMs; fits in 16 bits. */
  readonly logical: number;
  /** 32-bit tag of the node that issued it (see nodeTag()); the final tiebreak. */
  readonly node: number;
}

export const WALL_MS_MAX = 2 ** 48 - 1;
export const LOGICAL_MAX = 0xffff;
export const ZERO_TIMESTAMP: Timestamp = Object.freeze({ wallMs: 0, logical: 0, node: 0 });

/** Total order: wallMs, then logical, then node tag. */
export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  if (a.node !== b.node) return a.node < b.node ? -1 : 1;
  return 0;
}

/** FNV-1a over the UTF-8 bytes of a node id: a stable 32-bit tag, cheap to store in every record. */
export function nodeTag(nodeId: string): number {
  let h = 0x811c9dc5;
  const bytes = new TextEncoder().encode(nodeId);
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Text form used in the X-Ringkv-Timestamp header: `<wallMs>.<logical>.<node hex>`. */
export function formatTimestamp(ts: Timestamp): string {
  return `${ts.wallMs}.${ts.logical}.${ts.node.toString(16).padStart(8, '0')}`;
}

export function parseTimestamp(text: string): Timestamp {
  const m = /^(\d{1,15})\.(\d{1,5})\.([0-9a-f]{8})$/.exec(text);
  if (!m) throw new InvalidTimestampError(`malformed timestamp "${text}"`);
  const ts = { wallMs: Number(m[1]), logical: Number(m[2]), node: parseInt(m[3], 16) };
  if (ts.wallMs > WALL_MS_MAX || ts.logical > LOGICAL_MAX) {
    throw new InvalidTimestampError(`timestamp "${text}" out of range`);
  }
  return ts;
}
