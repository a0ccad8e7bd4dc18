// What the previous epoch's assignment says about the members of this one, read once: per
// partition, the distinct live members of its previous list in list order (one flat list, row by
// row) and its first entry; slot counts per member, per zone and per (partition, zone). A departed
// member still counts for its old zone, so its replicas are replaced within that zone.
import type { Assignment, NormalizedMember } from './ring-member.js';

export interface PreviousSlots {
  /** Live members of partition p's previous list: cells[start[p]] .. cells[start[p + 1] - 1]. */
  readonly start: Int32Array;
  readonly cells: Int32Array;
  /** The member that led partition p's previous list, or -1 (none, or not a member now). */
  readonly first: Int32Array;
  /** Slots each member owned. */
  readonly member: Int32Array;
  /** Slots each zone owned, departed members included. */
  readonly zone: Int32Array;
  /** Slots of zone z in partition p at [p * zones + z], departed members included ... */
  readonly zoneCount: Int32Array;
  /** ... and live members only. */
  readonly liveZoneCount: Int32Array;
}

/** zoneOfMember: the zone index of each member (members in id order), zones: the sorted zone names. */
export function readPrevious(
  ms: readonly NormalizedMember[],
  zones: readonly string[],
  zoneOfMember: Int32Array,
  q: number,
  previous?: Assignment,
): PreviousSlots {
  const zn = zones.length;
  // id -> member index, or -(zone + 1) for a departed member whose zone is still known.
  const code = new Map<unknown, number>(ms.map((m, i) => [m.id, i]));
  const zoneIndex = new Map(zones.map((z, i) => [z, i]));
  for (const m of previous?.members ?? []) {
    const z = zoneIndex.get(m.zone ?? '');
    if (!code.has(m.id) && z !== undefined) code.set(m.id, -(z + 1));
  }
  const start = new Int32Array(q + 1);
  let cells = new Int32Array(q * 4 + 16);
  const first = new Int32Array(q).fill(-1);
  const member = new Int32Array(ms.length);
  const zone = new Int32Array(zn);
  const zoneCount = new Int32Array(q * zn);
  const liveZoneCount = new Int32Array(q * zn);
  let size = 0;
  const lookup = new IdLookup(code);
  for (let p = 0; p < q; p++) {
    const list = previous?.preferenceLists[p] ?? [];
    for (let k = 0; k < list.length; k++) {
      const at = lookup.get(list[k]);
      if (at === undefined) continue;
      const live = at >= 0;
      if (live && holds(cells, start[p], size, at)) continue;
      const z = live ? zoneOfMember[at] : -at - 1;
      zoneCount[p * zn + z]++;
      zone[z]++;
      if (!live) continue;
      if (size === cells.length) {
        const grown = new Int32Array(size * 2);
        grown.set(cells);
        cells = grown;
      }
      if (k === 0) first[p] = at;
      cells[size++] = at;
      member[at]++;
      liveZoneCount[p * zn + z]++;
    }
    start[p + 1] = size;
  }
  return { start, cells: cells.subarray(0, size), first, member, zone, zoneCount, liveZoneCount };
}

function holds(cells: Int32Array, from: number, to: number, x: number): boolean {
  for (let i = from; i < to; i++) if (cells[i] === x) return true;
  return false;
}

/**
 * code.get(id) through a small cache of the ids last seen, keyed by their last two characters and
 * length: a list names the same few ids over and over, and Map.get on a string (hash, then compare)
 * was 4 of 6 ms reading a previous assignment at Q=65536, N=3; with it the reading takes 4.5 ms.
 */
class IdLookup {
  private readonly ids: unknown[] = new Array<unknown>(256).fill(undefined);
  private readonly codes: (number | undefined)[] = new Array<number | undefined>(256).fill(undefined);

  constructor(private readonly code: ReadonlyMap<unknown, number>) {}

  get(id: unknown): number | undefined {
    if (typeof id !== 'string' || id.length < 2) return this.code.get(id);
    const slot = (id.charCodeAt(id.length - 1) * 31 + id.charCodeAt(id.length - 2) * 7 + id.length) & 255;
    if (this.ids[slot] === id) return this.codes[slot];
    const found = this.code.get(id);
    this.ids[slot] = id;
    this.codes[slot] = found;
    return found;
  }
}
