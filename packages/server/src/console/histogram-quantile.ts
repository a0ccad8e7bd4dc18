// A quantile from histogram bucket counts, as Prometheus' histogram_quantile computes it: find the
// bucket holding the rank and interpolate linearly inside it (from 0 for the first bucket). A rank
// in the overflow bucket (above every bound) answers the highest bound.

/** `counts[i]` observations fell in (bounds[i-1], bounds[i]]; counts[bounds.length] above them all. */
export function histogramQuantile(q: number, bounds: readonly number[], counts: ArrayLike<number>): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total <= 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const n = counts[i];
    if (below + n >= rank && n > 0) {
      const lower = i === 0 ? 0 : bounds[i - 1];
      return lower + (bounds[i] - lower) * ((rank - below) / n);
    }
    below += n;
  }
  return bounds.length > 0 ? bounds[bounds.length - 1] : null;
}
