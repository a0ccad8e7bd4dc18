// The Raft tests' random source: function-shaped streams of core's seeded Prng (the one PRNG of
// the project), so one seed drives every random choice of a Raft simulation.
import { Prng } from '../../src/util/prng.js';

export type Rng = () => number;

/** A uniform [0, 1) stream from a seed. */
export function seededRng(seed: number): Rng {
  const prng = new Prng(seed);
  return () => prng.next();
}

/** An independent stream derived from `rng`, so adding a consumer does not shift the others. */
export function fork(rng: Rng): Rng {
  return seededRng(Math.floor(rng() * 4294967296));
}

export function randInt(rng: Rng, lo: number, hiExclusive: number): number {
  return lo + Math.floor(rng() * (hiExclusive - lo));
}

export function chance(rng: Rng, p: number): boolean {
  return rng() < p;
}

export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)];
}
