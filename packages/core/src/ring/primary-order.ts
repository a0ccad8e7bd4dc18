// Orders each partition's replicas: a balanced primary first (each member is primary for about
// Q * its slots / all slots partitions, kept from the previous epoch where possible), then the other
// replicas in their previous order, then new replicas by a stable hash. The primary is where a
// client-side router would send a key, so balancing it spreads coordinator load.
import { apportion } from './apportion.js';
import { fnv1a32, mix32 } from './mix-hash.js';
import type { PreviousSlots } from './previous-slots.js';
import type { NormalizedMember } from './ring-member.js';
import { solveSlots } from './slot-solver.js';
import { CellList, type SlotTable } from './slot-table.js';

export function orderPreferenceLists(
  ms: readonly NormalizedMember[],
  q: number,
  slots: SlotTable,
  memberTarget: ArrayLike<number>,
  prev: PreviousSlots,
): string[][] {
  const keys = Uint32Array.from(ms, (m) => fnv1a32(m.id));
  const prevPrimary = new Int32Array(ms.length);
  const initial = new CellList(q);
  for (let p = 0; p < q; p++) {
    const first = prev.first[p];
    if (first >= 0 && slots.has(p, first)) {
      initial.push(p, first);
      prevPrimary[first]++;
    }
  }
  const target = apportion(
    q,
    ms.map((m, i) => ({ weight: memberTarget[i], min: 0, max: memberTarget[i], prefer: prevPrimary[i], key: keys[i] })),
  );
  const { table } = solveSlots({
    rows: q,
    demand: new Int32Array(q).fill(1),
    target: Int32Array.from(target),
    colKeys: keys.map((k) => k ^ 0x9e3779b9),
    initial,
    weak: undefined,
    // Each member tries the partitions it holds in its own hashed order, so primaries it takes are scattered.
    restrict: { entrants: slots, rowsOf: partitionsOf(q, slots, ms.length), walkKeys: keys },
  });
  return listsOf(ms, q, slots, table, keys, prev);
}

/**
 * The preference lists: each partition's primary, then its other replicas sorted: those kept from
 * the previous list in its order, then the new ones by hash (then member index). Frozen.
 */
function listsOf(
  ms: readonly NormalizedMember[],
  q: number,
  slots: SlotTable,
  primaries: SlotTable,
  keys: Uint32Array,
  prev: PreviousSlots,
): string[][] {
  const ids = ms.map((m) => m.id);
  const lists = new Array<string[]>(q);
  // Partitions with the same list share one frozen array when there are few possible lists (at
  // most 65536: up to 40 members with N=3), indexed by the list's members as digits in base M.
  // Building the 65536 lists at Q=65536 took 6 to 8 ms with 5 members, sharing them 3.4 ms (and
  // the garbage collector has less to do). Frozen, a shared list and a copy are the same to a reader.
  const shared = ms.length ** slots.width <= 65536 ? new Array<string[] | undefined>(ms.length ** slots.width) : undefined;
  const row = new Int32Array(slots.width);
  const rank = new Int32Array(slots.width);
  const hash = new Float64Array(slots.width);
  for (let p = 0, base = 0; p < q; p++, base += slots.width) {
    const n = slots.len[p];
    const from = prev.start[p];
    const to = prev.start[p + 1];
    // Insertion sort by (rank in the previous list, hash, member): lists hold at most 16 replicas.
    for (let j = 0; j < n; j++) {
      const i = slots.cells[base + j];
      let at = from;
      while (at < to && prev.cells[at] !== i) at++;
      const r = at - from;
      const h = mix32(keys[i], p);
      let k = j;
      for (; k > 0; k--) {
        if (rank[k - 1] < r || (rank[k - 1] === r && (hash[k - 1] < h || (hash[k - 1] === h && row[k - 1] < i)))) break;
        row[k] = row[k - 1];
        rank[k] = rank[k - 1];
        hash[k] = hash[k - 1];
      }
      row[k] = i;
      rank[k] = r;
      hash[k] = h;
    }
    const primary = primaries.len[p] > 0 ? primaries.at(p, 0) : row[0];
    let key = primary;
    for (let j = 0; j < n; j++) if (row[j] !== primary) key = key * ms.length + row[j];
    const same = shared && n === slots.width ? shared[key] : undefined;
    if (same !== undefined) {
      lists[p] = same;
      continue;
    }
    lists[p] = Object.freeze(listOf(ids, row, n, primary)) as string[];
    if (shared && n === slots.width) shared[key] = lists[p];
  }
  return lists;
}

/** The list of a partition: its primary, then the other n - 1 members of row, in order. */
function listOf(ids: readonly string[], row: Int32Array, n: number, primary: number): string[] {
  // Literals for the usual sizes: exactly sized, and quicker to build than new Array(n) (an array
  // grown by push would keep room for 17 entries: at Q=65536 most of the garbage collector's work).
  if (n === 1) return [ids[primary]];
  if (n === 2) return [ids[primary], ids[row[0] === primary ? row[1] : row[0]]];
  if (n === 3) return [ids[primary], ids[row[0] === primary ? row[1] : row[0]], ids[row[2] === primary ? row[1] : row[2]]];
  const list = new Array<string>(n);
  list[0] = ids[primary];
  for (let j = 0, k = 1; j < n; j++) if (row[j] !== primary) list[k++] = ids[row[j]];
  return list;
}

/** The partitions each member holds, in increasing order. */
function partitionsOf(q: number, slots: SlotTable, members: number): (i: number) => Int32Array {
  const start = new Int32Array(members + 1);
  for (let i = 0; i < members; i++) start[i + 1] = start[i] + slots.count[i];
  const rows = new Int32Array(start[members]);
  const fill = start.slice(0, members);
  for (let p = 0, base = 0; p < q; p++, base += slots.width) {
    for (let j = 0; j < slots.len[p]; j++) rows[fill[slots.cells[base + j]]++] = p;
  }
  return (i) => rows.subarray(start[i], start[i + 1]);
}
