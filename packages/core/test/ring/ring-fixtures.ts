// Shared helpers for the ring tests: a tiny seeded generator, member builders, and a checker of the
// structural invariants every assignment must satisfy.
import { expect } from '@jest/globals';
import type { Assignment, RingMember } from '../../src/ring/index.js';

/** splitmix32: a seeded stream of 32-bit unsigned integers, for deterministic test data. */
export function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Members node-0 .. node-(m-1), zones z0 .. z(zones-1) round robin when zones > 0. */
export function members(m: number, zones = 0, from = 0): RingMember[] {
  return Array.from({ length: m }, (_, k) => {
    const i = k + from;
    return zones > 0 ? { id: `node-${i}`, zone: `z${i % zones}` } : { id: `node-${i}` };
  });
}

/** Slots per member id. */
export function slotCounts(a: Assignment): Map<string, number> {
  const counts = new Map<string, number>(a.members.map((m) => [m.id, 0]));
  for (const list of a.preferenceLists) for (const id of list) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

/** Every list has min(N, M) distinct members of the assignment (one expect, so it stays fast). */
export function expectWellFormed(a: Assignment): void {
  const ids = new Set(a.members.map((m) => m.id));
  const size = Math.min(a.replicas, ids.size);
  const bad: string[] = [];
  if (a.preferenceLists.length !== a.partitions) bad.push(`${a.preferenceLists.length} lists for ${a.partitions} partitions`);
  a.preferenceLists.forEach((list, p) => {
    if (list.length !== size || new Set(list).size !== size || list.some((id) => !ids.has(id))) {
      bad.push(`partition ${p}: ${JSON.stringify(list)}`);
    }
  });
  expect(bad).toEqual([]);
}
