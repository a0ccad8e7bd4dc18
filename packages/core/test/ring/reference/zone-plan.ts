// TEST-ONLY REFERENCE: src/ring/zone-plan.ts as of commit 5995f2d (ring algorithm version 1), kept verbatim below
// this line so assignment.reference.test.ts can check the optimised src gives exactly the same output.
// How many replicas of each partition every zone holds, and how many slots every member should own.
// With Z zones and N replicas, each partition gives zone z between lo[z] and hi[z] replicas, where
// hi - lo <= 1: the water level L is the smallest with sum(min(size, L)) >= N, hi = min(size, L),
// lo = min(size, L - 1). So with Z >= N (and no zone too small) every replica is in its own zone, and
// with fewer zones they spread as evenly as their sizes allow. Zone totals are proportional to the
// zones' weights within [Q*lo, Q*hi]; member targets are proportional to weight within their zone.
import { apportion } from './apportion.js';
import { fnv1a32 } from './mix-hash.js';
import type { NormalizedMember } from '../../../src/ring/ring-member.js';

export interface ZonePlan {
  /** Distinct zones, sorted. */
  readonly zones: readonly string[];
  /** Zone index of each member (members in id order). */
  readonly zoneOfMember: Int32Array;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  /** Slots each zone owns over all partitions. */
  readonly zoneTotal: Int32Array;
  /** Slots each member should own. */
  readonly memberTarget: Int32Array;
}

export interface PreviousCounts {
  /** Slots each member (by index) owned at the previous epoch. */
  readonly member: ArrayLike<number>;
  /** Slots each zone (by index) owned at the previous epoch. */
  readonly zone: ArrayLike<number>;
}

export function zonesOf(members: readonly NormalizedMember[]): string[] {
  return [...new Set(members.map((m) => m.zone))].sort();
}

export function planZones(
  members: readonly NormalizedMember[],
  zones: readonly string[],
  q: number,
  replicas: number,
  previous: PreviousCounts,
): ZonePlan {
  const zoneIndex = new Map(zones.map((z, i) => [z, i]));
  const zoneOfMember = Int32Array.from(members, (m) => zoneIndex.get(m.zone) ?? 0);
  const size = new Int32Array(zones.length);
  const weight = new Float64Array(zones.length);
  members.forEach((m, i) => {
    size[zoneOfMember[i]]++;
    weight[zoneOfMember[i]] += m.weight;
  });
  let level = 1;
  const filled = (l: number): number => size.reduce((a, s) => a + Math.min(s, l), 0);
  while (filled(level) < replicas) level++;
  const lo = size.map((s) => Math.min(s, level - 1));
  const hi = size.map((s) => Math.min(s, level));
  const zoneTotal = Int32Array.from(
    apportion(
      q * replicas,
      zones.map((z, i) => ({ weight: weight[i], min: q * lo[i], max: q * hi[i], prefer: previous.zone[i] ?? 0, key: fnv1a32(z) })),
    ),
  );
  const memberTarget = new Int32Array(members.length);
  zones.forEach((_, z) => {
    const inZone = members.flatMap((m, i) => (zoneOfMember[i] === z ? [i] : []));
    const shares = apportion(
      zoneTotal[z],
      inZone.map((i) => ({ weight: members[i].weight, min: 0, max: q, prefer: previous.member[i] ?? 0, key: fnv1a32(members[i].id) })),
    );
    inZone.forEach((i, j) => (memberTarget[i] = shares[j]));
  });
  return { zones, zoneOfMember, lo: Int32Array.from(lo), hi: Int32Array.from(hi), zoneTotal, memberTarget };
}
