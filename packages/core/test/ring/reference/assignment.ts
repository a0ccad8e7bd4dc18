// TEST-ONLY REFERENCE: src/ring/assignment.ts as of commit 5995f2d (ring algorithm version 1), kept verbatim below
// this line so assignment.reference.test.ts can check the optimised src gives exactly the same output.
// apportion.ts and zone-plan.ts are not copied: the optimisation left them unchanged, so src's serve both.
// assignPartitions: membership at an epoch (+ the previous epoch's assignment) -> preference lists.
// Two levels of the same slot problem (slot-solver.ts): first which zones hold each partition's
// "extra" replica (when zones cannot split N evenly), then, zone by zone, which members hold the
// zone's replicas of each partition. Both levels start from the previous assignment, so a join or a
// leave only moves what the new targets force. Finally primary-order.ts picks balanced primaries.
import { validatePartitionCount } from '../../../src/ring/key-hash.js';
import { fnv1a32 } from './mix-hash.js';
import { orderPreferenceLists } from './primary-order.js';
import { InvalidRingConfigError } from '../../../src/ring/ring-errors.js';
import {
  normalizeMembers,
  storedMember,
  validateReplicaCount,
  type Assignment,
  type NormalizedMember,
  type RingMember,
} from '../../../src/ring/ring-member.js';
import { solveSlots } from './slot-solver.js';
import { planZones, zonesOf, type ZonePlan } from '../../../src/ring/zone-plan.js';

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
  const zn = zones.length;
  const zoneIndex = new Map(zones.map((z, i) => [z, i]));
  const zoneOfId = new Map(ms.map((m) => [m.id, zoneIndex.get(m.zone) as number]));
  // A departed member still counts for its old zone, so its replicas are replaced within that zone.
  for (const m of previous?.members ?? []) {
    const z = zoneIndex.get(m.zone ?? '');
    if (!zoneOfId.has(m.id) && z !== undefined) zoneOfId.set(m.id, z);
  }
  // Flat per-(partition, zone) counts: one typed array each, not one per partition (Q can be 65536).
  const prevRows: number[][] = new Array<number[]>(q);
  const prevZoneCount = new Int32Array(q * zn);
  const liveZoneCount = new Int32Array(q * zn);
  const prevMember = new Int32Array(ms.length);
  const prevZone = new Int32Array(zn);
  for (let p = 0; p < q; p++) {
    const row: number[] = [];
    for (const id of previous?.preferenceLists[p] ?? []) {
      const i = index.get(id);
      const z = zoneOfId.get(id);
      if (z === undefined || (i !== undefined && row.includes(i))) continue;
      prevZoneCount[p * zn + z]++;
      prevZone[z]++;
      if (i === undefined) continue;
      row.push(i);
      prevMember[i]++;
      liveZoneCount[p * zn + z]++;
    }
    prevRows[p] = row;
  }
  const plan = planZones(ms, zones, q, replicas, { member: prevMember, zone: prevZone });
  // A zone's extra replica of p is cheap to give up when no surviving member holds it, or when a
  // member of that zone in p holds more slots than its new target (it must shed one anyway).
  const shedding = (p: number, z: number): boolean =>
    liveZoneCount[p * zn + z] < plan.hi[z] ||
    prevRows[p].some((i) => plan.zoneOfMember[i] === z && prevMember[i] > plan.memberTarget[i]);
  const extra = assignZoneExtras(plan, q, replicas, (p, z) => prevZoneCount[p * zn + z], shedding);
  const slots: number[][] = Array.from({ length: q }, () => []);
  for (let z = 0; z < zn; z++) {
    const local: number[] = [];
    const localOf = new Int32Array(ms.length).fill(-1);
    ms.forEach((_, i) => {
      if (plan.zoneOfMember[i] === z) localOf[i] = local.push(i) - 1;
    });
    const { rows } = solveSlots({
      rows: q,
      demand: Int32Array.from({ length: q }, (_, p) => plan.lo[z] + (extra[p].includes(z) ? 1 : 0)),
      target: Int32Array.from(local, (i) => plan.memberTarget[i]),
      colKeys: Uint32Array.from(local, (i) => fnv1a32(ms[i].id)),
      initial: prevRows.map((row) => {
        const kept: number[] = [];
        for (const i of row) if (localOf[i] >= 0) kept.push(localOf[i]);
        return kept;
      }),
    });
    rows.forEach((row, p) => {
      for (const j of row) slots[p].push(local[j]);
    });
  }
  return orderPreferenceLists(ms, q, slots, plan.memberTarget, previous);
}

/** Per partition, the zones holding hi (not lo) replicas: a 0/1 slot problem over the zones with hi > lo. */
function assignZoneExtras(
  plan: ZonePlan,
  q: number,
  replicas: number,
  prevZoneCount: (p: number, z: number) => number,
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
    initial: Array.from({ length: q }, (_, p) => open.flatMap((z, j) => (prevZoneCount(p, z) >= plan.hi[z] ? [j] : []))),
    weak: (p, j) => cheap(p, open[j]),
  });
  return rows.map((row) => row.map((j) => open[j]));
}
