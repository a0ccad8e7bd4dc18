// The sloppy-quorum target list (Dynamo section 4.6): owners that are up take the write themselves;
// each down owner is stood in for by the first up member further along the ring that is neither an
// owner nor already standing in, and that stand-in keeps the write as a hint for the owner.

export interface FallbackTarget {
  readonly node: string;
  /** True when node stands in for a down owner and must hand the write back later. */
  readonly hinted: boolean;
  /** The down owner a hinted write is for. */
  readonly forNode?: string;
}

/**
 * owners: the preference list in order; walk: the distinct members met walking the ring past the
 * partition, in order. Output follows the owners' order, one entry per owner that is up or has a
 * substitute.
 */
export function sloppyTargets(
  owners: readonly string[],
  walk: readonly string[],
  isUp: (id: string) => boolean,
): FallbackTarget[] {
  const taken = new Set(owners);
  const out: FallbackTarget[] = [];
  let next = 0;
  for (const owner of owners) {
    if (isUp(owner)) {
      out.push({ node: owner, hinted: false });
      continue;
    }
    while (next < walk.length && (taken.has(walk[next]) || !isUp(walk[next]))) next++;
    if (next < walk.length) {
      taken.add(walk[next]);
      out.push({ node: walk[next], hinted: true, forNode: owner });
      next++;
    }
  }
  return out;
}
