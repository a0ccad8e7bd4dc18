// TEST-ONLY REFERENCE: src/ring/primary-order.ts as of commit 5995f2d (ring algorithm version 1), kept verbatim below
// this line so assignment.reference.test.ts can check the optimised src gives exactly the same output.
// Orders each partition's replicas: a balanced primary first (each member is primary for about
// Q * its slots / all slots partitions, kept from the previous epoch where possible), then the other
// replicas in their previous order, then new replicas by a stable hash. The primary is where a
// client-side router would send a key, so balancing it spreads coordinator load.
import { apportion } from '../../../src/ring/apportion.js';
import { fnv1a32, mix32 } from './mix-hash.js';
import type { Assignment, NormalizedMember } from '../../../src/ring/ring-member.js';
import { solveSlots } from './slot-solver.js';

export function orderPreferenceLists(
  ms: readonly NormalizedMember[],
  q: number,
  slots: readonly number[][],
  memberTarget: ArrayLike<number>,
  previous?: Assignment,
): string[][] {
  const keys = Uint32Array.from(ms, (m) => fnv1a32(m.id));
  const index = new Map(ms.map((m, i) => [m.id, i]));
  const prevPrimary = new Int32Array(ms.length);
  // Kept replicas in their previous order, then new ones by hash: sort keys rank * 2^32 + hash.
  const ordered = slots.map((row, p) => {
    const prevList = previous?.preferenceLists[p] ?? [];
    const sortKey = row.map((i) => {
      const at = prevList.indexOf(ms[i].id);
      return (at >= 0 ? at : prevList.length) * 2 ** 32 + mix32(keys[i], p);
    });
    return row.map((_, j) => j).sort((a, b) => sortKey[a] - sortKey[b] || row[a] - row[b]).map((j) => row[j]);
  });
  const initial = ordered.map((row, p) => {
    const first = index.get(previous?.preferenceLists[p]?.[0] ?? '');
    if (first === undefined || !row.includes(first)) return [];
    prevPrimary[first]++;
    return [first];
  });
  const target = apportion(
    q,
    ms.map((m, i) => ({ weight: memberTarget[i], min: 0, max: memberTarget[i], prefer: prevPrimary[i], key: keys[i] })),
  );
  // Each member tries its partitions in its own hashed order, so primaries it takes are scattered.
  const rowsOf: number[][] = ms.map(() => []);
  slots.forEach((row, p) => row.forEach((i) => rowsOf[i].push(mix32(keys[i], p) * q + p)));
  rowsOf.forEach((list) => {
    list.sort((a, b) => a - b);
    for (let j = 0; j < list.length; j++) list[j] %= q;
  });
  const { rows } = solveSlots({
    rows: q,
    demand: new Int32Array(q).fill(1),
    target: Int32Array.from(target),
    colKeys: keys.map((k) => k ^ 0x9e3779b9),
    initial,
    restrict: { rowsOf, allows: (p, i) => slots[p].includes(i) },
  });
  return ordered.map((row, p) => {
    const primary = rows[p][0] ?? row[0];
    return [primary, ...row.filter((i) => i !== primary)].map((i) => ms[i].id);
  });
}
