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
import { solveSlots } from './slot-solver.js';
import { planZones, zonesOf, type ZonePlan } from './zone-plan.js';

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
  const lists = ms.length === 0 ? Array.from({ length: q }, () => []) : assignSlots(ms, q, replicas, previous);
  return Object.freeze({
    partitions: q,
    replicas: n,
    members: Object.freeze(ms.map(storedMember)),
    preferenceLists: Object.freeze(lists.map((l) => Object.freeze(l))),
  });
}

function assignSlots(ms: NormalizedMember[], q: number, replicas: number, previous?: Assignment): string[][] {
  const index = new Map(ms.map((m, i) => [m.id, i]));
  const zones = zonesOf(ms);
  const zoneIndex = new Map(zones.map((z, i) => [z, i]));
  // A departed member still counts for its old zone, so its replicas are replaced within that zone.
  const oldZone = new Map((previous?.members ?? []).map((m) => [m.id, m.zone ?? '']));
  const prevRows: number[][] = [];
  const prevZoneCount: Int32Array[] = [];
  const liveZoneCount: Int32Array[] = [];
  const prevMember = new Int32Array(ms.length);
  const prevZone = new Int32Array(zones.length);
  for (let p = 0; p < q; p++) {
    const list = previous?.preferenceLists[p] ?? [];
    const row: number[] = [];
    const zc = new Int32Array(zones.length);
    const live = new Int32Array(zones.length);
    for (const id of list) {
      const i = index.get(id);
      const z = i !== undefined ? zoneIndexOf(ms[i], zoneIndex) : zoneIndex.get(oldZone.get(id) ?? '\u0000');
      if (i !== undefined && !row.includes(i)) {
        row.push(i);
        prevMember[i]++;
        live[zoneIndexOf(ms[i], zoneIndex) as number]++;
      }
      if (z !== undefined) {
        zc[z]++;
        prevZone[z]++;
      }
    }
    prevRows.push(row);
    prevZoneCount.push(zc);
    liveZoneCount.push(live);
  }
  const plan = planZones(ms, zones, q, replicas, { member: prevMember, zone: prevZone });
  // A zone's extra replica of p is cheap to give up when no surviving member holds it, or when a
  // member of that zone in p holds more slots than its new target (it must shed one anyway).
  const shedding = (p: number, z: number): boolean =>
    liveZoneCount[p][z] < plan.hi[z] ||
    prevRows[p].some((i) => plan.zoneOfMember[i] === z && prevMember[i] > plan.memberTarget[i]);
  const extra = assignZoneExtras(plan, q, replicas, prevZoneCount, shedding);
  const slots: number[][] = prevRows.map(() => []);
  zones.forEach((_, z) => {
    const local = ms.flatMap((_, i) => (plan.zoneOfMember[i] === z ? [i] : []));
    const localOf = new Map(local.map((i, j) => [i, j]));
    const { rows } = solveSlots({
      rows: q,
      demand: Int32Array.from({ length: q }, (_, p) => plan.lo[z] + (extra[p].includes(z) ? 1 : 0)),
      target: Int32Array.from(local, (i) => plan.memberTarget[i]),
      colKeys: Uint32Array.from(local, (i) => fnv1a32(ms[i].id)),
      initial: prevRows.map((row) => row.flatMap((i) => (localOf.has(i) ? [localOf.get(i) as number] : []))),
    });
    rows.forEach((row, p) => slots[p].push(...row.map((j) => local[j])));
  });
  return orderPreferenceLists(ms, q, slots, plan.memberTarget, previous);
}

function zoneIndexOf(m: NormalizedMember, zoneIndex: Map<string, number>): number | undefined {
  return zoneIndex.get(m.zone);
}

/** Per partition, the zones holding hi (not lo) replicas: a 0/1 slot problem over the zones with hi > lo. */
function assignZoneExtras(
  plan: ZonePlan,
  q: number,
  replicas: number,
  prevZoneCount: Int32Array[],
  cheap: (p: number, z: number) => boolean,
): number[][] {
  const open = plan.zones.flatMap((_, z) => (plan.hi[z] > plan.lo[z] ? [z] : []));
  const perRow = replicas - plan.lo.reduce((a, b) => a + b, 0);
  if (open.length === 0 || perRow === 0) return Array.from({ length: q }, () => []);
  const { rows } = solveSlots({
    rows: q,
    demand: new Int32Array(q).fill(perRow),
    target: Int32Array.from(open, (z) => plan.zoneTotal[z] - q * plan.lo[z]),
    colKeys: Uint32Array.from(open, (z) => fnv1a32(`zone:${plan.zones[z]}`)),
    initial: prevZoneCount.map((zc) => open.flatMap((z, j) => (zc[z] >= plan.hi[z] ? [j] : []))),
    weak: (p, j) => cheap(p, open[j]),
  });
  return rows.map((row) => row.map((j) => open[j]));
}
