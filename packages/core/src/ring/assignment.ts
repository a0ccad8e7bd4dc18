// assignPartitions: membership at an epoch (+ the previous epoch's assignment) -> preference lists.
// Two levels of the same slot problem (slot-solver.ts): first which zones hold each partition's
// "extra" replica (when zones cannot split N evenly), then, zone by zone, which members hold the
// zone's replicas of each partition. Both levels start from the previous assignment, so a join or a
// leave only moves what the new targets force. Finally primary-order.ts picks balanced primaries.
import { validatePartitionCount } from './key-hash.js';
import { fnv1a32 } from './mix-hash.js';
import { orderPreferenceLists } from './primary-order.js';
import { InvalidRingConfigError } from './ring-errors.js';
import {
  normalizeMembers,
  storedMember,
  validateReplicaCount,
  type Assignment,
  type NormalizedMember,
  type RingMember,
} from './ring-member.js';
import { readPrevious, type PreviousSlots } from './previous-slots.js';
import { solveSlots } from './slot-solver.js';
import { CellList, SlotTable } from './slot-table.js';
import { planZones, zonesOf, type ZonePlan } from './zone-plan.js';

/**
 * Version of the assignment algorithm. Every node must compute the same ring from the same epoch, so
 * any change to the output of assignPartitions (even a tie-break) needs a new version, and a cluster
 * must not mix versions. The test `assignment is pinned` fails when the output changes.
 */
export const RING_ALGORITHM_VERSION = 1;

/**
 * The deterministic assignment of q partitions to n replicas each among members. Without previous it
 * is the canonical assignment; with previous (the assignment of the epoch before, same q) it keeps
 * every (partition, member) slot it can. The member array's order does not matter.
 */
export function assignPartitions(
  members: readonly RingMember[],
  q: number,
  n: number,
  previous?: Assignment,
): Assignment {
  validatePartitionCount(q);
  validateReplicaCount(n);
  if (previous !== undefined && previous.partitions !== q) {
    throw new InvalidRingConfigError(`previous assignment has ${previous.partitions} partitions, expected ${q}`, {
      partitions: q,
      previousPartitions: previous.partitions,
    });
  }
  const ms = normalizeMembers(members);
  const replicas = Math.min(n, ms.length);
  // Every list comes frozen.
  const lists = ms.length === 0 ? Array.from({ length: q }, () => Object.freeze([])) : assignSlots(ms, q, replicas, previous);
  return Object.freeze({
    partitions: q,
    replicas: n,
    members: Object.freeze(ms.map(storedMember)),
    preferenceLists: Object.freeze(lists),
  });
}

function assignSlots(ms: NormalizedMember[], q: number, replicas: number, previous?: Assignment): string[][] {
  const zones = zonesOf(ms);
  const zn = zones.length;
  const zoneIndex = new Map(zones.map((z, i) => [z, i]));
  const prev = readPrevious(ms, zones, Int32Array.from(ms, (m) => zoneIndex.get(m.zone) as number), q, previous);
  const plan = planZones(ms, zones, q, replicas, { member: prev.member, zone: prev.zone });
  // A zone's extra replica of p is cheap to give up when no surviving member holds it, or when a
  // member of that zone in p holds more slots than its new target (it must shed one anyway).
  const shedding = (p: number, z: number): boolean => {
    if (prev.liveZoneCount[p * zn + z] < plan.hi[z]) return true;
    for (let k = prev.start[p]; k < prev.start[p + 1]; k++) {
      const i = prev.cells[k];
      if (plan.zoneOfMember[i] === z && prev.member[i] > plan.memberTarget[i]) return true;
    }
    return false;
  };
  const extra = assignZoneExtras(plan, q, replicas, prev.zoneCount, shedding);
  // Each zone's members, and each member's place among them; the kept cells of every zone in one pass.
  const local: number[][] = zones.map(() => []);
  const localOf = Int32Array.from(ms, (_, i) => local[plan.zoneOfMember[i]].push(i) - 1);
  const kept = zones.map((_, z) => new CellList(local[z].reduce((n, i) => n + prev.member[i], 0)));
  keptByZone(q, prev, plan.zoneOfMember, localOf, kept);
  const slots = new SlotTable(q, replicas, ms.length);
  for (let z = 0; z < zn; z++) {
    const demand = new Int32Array(q);
    let everywhere = true;
    for (let p = 0; p < q; p++) {
      demand[p] = plan.lo[z] + extra[p * zn + z];
      everywhere &&= demand[p] >= local[z].length;
    }
    if (everywhere) {
      // Each partition holds every member of the zone (the solver could only find that, and the
      // order within a partition does not matter: primary-order.ts sorts it).
      for (let p = 0; p < q; p++) for (const i of local[z]) slots.push(p, i);
      continue;
    }
    const { table } = solveSlots({
      rows: q,
      demand,
      target: Int32Array.from(local[z], (i) => plan.memberTarget[i]),
      colKeys: Uint32Array.from(local[z], (i) => fnv1a32(ms[i].id)),
      initial: kept[z],
      weak: undefined,
      restrict: undefined,
    });
    // One zone: its solution is the slots (its members are all the members, in order).
    if (zn === 1) return orderPreferenceLists(ms, q, table, plan.memberTarget, prev);
    addZone(slots, table, Int32Array.from(local[z]));
  }
  return orderPreferenceLists(ms, q, slots, plan.memberTarget, prev);
}

/** The previous cells of each zone's members, as cells of the zone's problem (its members numbered from 0). */
function keptByZone(q: number, prev: PreviousSlots, zoneOfMember: Int32Array, localOf: Int32Array, kept: CellList[]): void {
  const { start, cells } = prev;
  for (let p = 0; p < q; p++) {
    for (let k = start[p]; k < start[p + 1]; k++) kept[zoneOfMember[cells[k]]].push(p, localOf[cells[k]]);
  }
}

/** Appends a zone's solution (its members numbered from 0, member[j] the j-th) to the slots. */
function addZone(slots: SlotTable, table: SlotTable, member: Int32Array): void {
  const { cells, len, width } = table;
  for (let p = 0; p < table.rows; p++) for (let j = 0; j < len[p]; j++) slots.push(p, member[cells[p * width + j]]);
}

/**
 * Whether zone z holds hi (not lo) replicas of partition p, at [p * zones + z]: a 0/1 slot problem
 * over the zones with hi > lo.
 */
function assignZoneExtras(
  plan: ZonePlan,
  q: number,
  replicas: number,
  prevZoneCount: Int32Array,
  cheap: (p: number, z: number) => boolean,
): Uint8Array {
  const zn = plan.zones.length;
  const extra = new Uint8Array(q * zn);
  const open = plan.zones.flatMap((_, z) => (plan.hi[z] > plan.lo[z] ? [z] : []));
  const perRow = replicas - plan.lo.reduce((a, b) => a + b, 0);
  if (open.length === 0 || perRow === 0) return extra;
  if (perRow === open.length) {
    // Every open zone holds its extra replica of every partition.
    for (let p = 0; p < q; p++) for (const z of open) extra[p * zn + z] = 1;
    return extra;
  }
  const initial = new CellList(q);
  for (let p = 0; p < q; p++) {
    for (let j = 0; j < open.length; j++) if (prevZoneCount[p * zn + open[j]] >= plan.hi[open[j]]) initial.push(p, j);
  }
  const { table } = solveSlots({
    rows: q,
    demand: new Int32Array(q).fill(perRow),
    target: Int32Array.from(open, (z) => plan.zoneTotal[z] - q * plan.lo[z]),
    colKeys: Uint32Array.from(open, (z) => fnv1a32(`zone:${plan.zones[z]}`)),
    initial,
    weak: (p, j) => cheap(p, open[j]),
    restrict: undefined,
  });
  for (let p = 0; p < q; p++) for (let j = 0; j < table.len[p]; j++) extra[p * zn + open[table.at(p, j)]] = 1;
  return extra;
}
