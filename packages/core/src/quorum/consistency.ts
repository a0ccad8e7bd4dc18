// Per-request consistency levels: how many replicas must answer a read (r) or acknowledge a write (w).
// Requests name a level as a number or as `one`, `quorum` or `all`; this turns that into a count.
import { InvalidConsistencyError } from '../errors.js';

export type ConsistencyLevel = number | 'one' | 'quorum' | 'all';

/** A majority of n replicas: any two majorities overlap, so a quorum read sees a quorum write. */
export function quorumSize(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * The replica count for a requested level, given n replicas per key. `input` comes straight from a
 * query string or a client: an integer 1..n (a number, or a plain decimal string: no sign, no
 * spaces, no fraction), `one`, `quorum` (floor(n/2)+1) or `all` (n). Undefined means the cluster
 * default `fallback`, which is held to the same 1..n range (a config that asks for more replicas
 * than exist is as unusable as a request that does). Throws InvalidConsistencyError otherwise.
 */
export function resolveConsistency(
  input: string | number | undefined,
  n: number,
  fallback: number,
  what: 'r' | 'w',
): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`replica count n must be a positive integer, got ${n}`);
  const count = toCount(input === undefined ? fallback : input, n);
  if (count === undefined || count < 1 || count > n) throw new InvalidConsistencyError(what, input ?? fallback, n);
  return count;
}

function toCount(input: unknown, n: number): number | undefined {
  if (typeof input === 'number') return Number.isInteger(input) ? input : undefined;
  if (typeof input !== 'string') return undefined;
  switch (input) {
    case 'one':
      return 1;
    case 'quorum':
      return quorumSize(n);
    case 'all':
      return n;
  }
  // Bounded length so a huge digit string is rejected outright rather than parsed.
  return /^[0-9]{1,9}$/.test(input) ? Number(input) : undefined;
}

/**
 * R or W for a key that has fewer replicas than N (a cluster with fewer members than N keeps
 * min(N, members) of each key): capped to the replicas there are, so every one must answer and a
 * one- or two-node cluster serves with the default N=3, R=W=2. The node warns when its
 * membership is smaller than N.
 */
export function effectiveQuorum(requested: number, replicasOfKey: number): number {
  return Math.max(1, Math.min(requested, replicasOfKey));
}
