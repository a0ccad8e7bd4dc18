// Key to partition: xxHash64 (seed 0) of the key bytes, modulo Q. Q is a power of two, so the modulo
// is the low bits of the hash. xxhash-wasm compiles its WASM module asynchronously; it is done once
// here with a top-level await, the one asynchronous line core allows (scripts/lint-core-purity.mjs).
import xxhash from 'xxhash-wasm';
import { InvalidRingConfigError } from './ring-errors.js';

const hasher = await xxhash();

/** Smallest and largest partition count a cluster may be created with. */
export const MIN_PARTITIONS = 1;
export const MAX_PARTITIONS = 65536;
/** Partition count of a new cluster unless configured (docs/design.md "Defaults"). */
export const DEFAULT_PARTITIONS = 256;

export function isValidPartitionCount(q: number): boolean {
  return Number.isInteger(q) && q >= MIN_PARTITIONS && q <= MAX_PARTITIONS && (q & (q - 1)) === 0;
}

/** Throws InvalidRingConfigError unless q is a power of two in [1, 65536]. */
export function validatePartitionCount(q: number): void {
  if (!isValidPartitionCount(q)) {
    throw new InvalidRingConfigError(
      `partition count must be a power of two between ${MIN_PARTITIONS} and ${MAX_PARTITIONS}, got ${String(q)}`,
      { partitions: q },
    );
  }
}

/** xxHash64 of the key bytes with seed 0, as an unsigned 64-bit bigint. */
export function hashKey64(key: Uint8Array): bigint {
  return hasher.h64Raw(key, 0n);
}

/** The partition a key belongs to: hashKey64(key) mod partitions. */
export function partitionOf(key: Uint8Array, partitions: number): number {
  validatePartitionCount(partitions);
  return Number(hashKey64(key) & BigInt(partitions - 1));
}
