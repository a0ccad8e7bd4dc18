// TEST-ONLY REFERENCE: src/ring/apportion.ts as of commit 5995f2d (ring algorithm version 1), kept verbatim below
// this line so assignment.reference.test.ts can check the optimised src gives exactly the same output.
// Splits an integer total between items in proportion to their weights, each within [min, max]
// (water-filling), then rounds to integers. Used for zone totals, member targets and primary counts.
// Ties in rounding go to the items that already held more than the floor at the previous epoch
// (`prefer`), so a member that had the extra slot keeps it and nothing moves for rounding alone.

export interface ApportionItem {
  readonly weight: number;
  /** Integer bounds of this item's share. */
  readonly min: number;
  readonly max: number;
  /** The item's count at the previous epoch: in a rounding tie, an item already above the floor keeps it. */
  readonly prefer: number;
  /** Final tie-break, lower wins: a stable per-item hash. */
  readonly key: number;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** The real-valued shares: clamp(lambda * weight, min, max) with lambda chosen so they sum to total. */
function realShares(total: number, items: readonly ApportionItem[]): number[] {
  const share = (lambda: number): number[] =>
    items.map((it) => (it.weight > 0 ? clamp(lambda * it.weight, it.min, it.max) : it.min));
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  // g(lambda) is piecewise linear and non-decreasing; its kinks are at min/weight and max/weight.
  const kinks = [
    ...new Set(items.filter((it) => it.weight > 0).flatMap((it) => [it.min / it.weight, it.max / it.weight])),
  ].sort((a, b) => a - b);
  if (kinks.length === 0) return share(0);
  let prevKink = kinks[0];
  let prevSum = sum(share(prevKink));
  if (prevSum >= total) return share(prevKink);
  for (let i = 1; i < kinks.length; i++) {
    const k = kinks[i];
    const s = sum(share(k));
    if (s >= total) return share(prevKink + ((k - prevKink) * (total - prevSum)) / (s - prevSum));
    prevKink = k;
    prevSum = s;
  }
  return share(prevKink);
}

/**
 * Integer shares summing to total (requires sum(min) <= total <= sum(max)). Each share is the floor
 * or the ceiling of its real share when no bound intervenes.
 */
export function apportion(total: number, items: readonly ApportionItem[]): number[] {
  const real = realShares(total, items);
  // The epsilon absorbs float error such as 255.99999999 for an exact 256.
  const out = real.map((x, i) => clamp(Math.floor(x + 1e-9), items[i].min, items[i].max));
  let diff = total - out.reduce((a, b) => a + b, 0);
  const order = items.map((_, i) => i);
  const frac = (i: number): number => real[i] - out[i];
  while (diff !== 0) {
    const up = diff > 0;
    const open = order.filter((i) => (up ? out[i] < items[i].max : out[i] > items[i].min));
    if (open.length === 0) break; // infeasible bounds; the caller validated them
    open.sort((a, b) => {
      const fa = frac(a);
      const fb = frac(b);
      if (Math.abs(fa - fb) > 1e-9) return up ? fb - fa : fa - fb;
      // Up: an item that already held more than its floor keeps the extra. Down: the reverse.
      const pa = up ? Number(items[a].prefer > out[a]) : Number(items[a].prefer < out[a]);
      const pb = up ? Number(items[b].prefer > out[b]) : Number(items[b].prefer < out[b]);
      if (pa !== pb) return pb - pa;
      return up ? items[a].key - items[b].key || a - b : items[b].key - items[a].key || b - a;
    });
    const take = Math.min(Math.abs(diff), open.length);
    for (let j = 0; j < take; j++) out[open[j]] += up ? 1 : -1;
    diff += up ? -take : take;
  }
  return out;
}
