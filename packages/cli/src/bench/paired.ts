// The paired mode of `ringkv bench` (--compare): two clusters (two builds, or two configurations)
// measured in short alternating windows, A B then B A, so that the drift of a shared machine (its
// speed moves up to 3x between days and by half within a sitting) hits both alike; the report is
// the ratio B/A of every pair, with its median and spread. One-after-the-other runs of a few
// minutes each cannot see differences under ~20% here; pairs of windows a few seconds apart can.
import type { PhaseResult } from './http-load.js';

export interface PairedTarget {
  label: string;
  endpoints: string[];
}

export interface WindowResult extends PhaseResult {
  /** CPU µs the target's nodes spent per request in the window, summed over its nodes. */
  cpuUsPerOp?: number;
}

export interface PairResult {
  op: 'PUT' | 'GET';
  /** Which target ran first in this pair (they alternate). */
  first: 'A' | 'B';
  a: WindowResult;
  b: WindowResult;
}

/** A ratio over the pairs: its median, its quartiles and its extremes. */
export interface RatioSpread {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
  pairs: number;
}

export interface PairedSummary {
  op: 'PUT' | 'GET';
  /** B's ops/s over A's, per pair. */
  throughput: RatioSpread;
  /** B's CPU µs per op over A's, per pair (below 1: B is cheaper); absent without CPU figures. */
  cpu?: RatioSpread;
}

/** Quantile q of sorted xs, linear between the two nearest ranks. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function spreadOf(ratios: readonly number[]): RatioSpread | undefined {
  const xs = ratios.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  return { median: quantile(xs, 0.5), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75), min: xs[0]!, max: xs[xs.length - 1]!, pairs: xs.length };
}

/** Per op, the spread of B/A over the pairs. */
export function summarizePairs(pairs: readonly PairResult[]): PairedSummary[] {
  return (['PUT', 'GET'] as const).flatMap((op) => {
    const mine = pairs.filter((p) => p.op === op);
    const throughput = spreadOf(mine.map((p) => p.b.opsPerS / p.a.opsPerS));
    if (!throughput) return [];
    const cpu = spreadOf(mine.flatMap((p) => (p.a.cpuUsPerOp && p.b.cpuUsPerOp ? [p.b.cpuUsPerOp / p.a.cpuUsPerOp] : [])));
    return [{ op, throughput, ...(cpu ? { cpu } : {}) }];
  });
}

export interface PairedRun {
  a: PairedTarget;
  b: PairedTarget;
  pairs: number;
  windowS: number;
  /** One measured window of an op against a target's endpoints. */
  measure(target: PairedTarget, op: 'PUT' | 'GET', durationS: number): Promise<WindowResult>;
  log?: (line: string) => void;
}

/**
 * Runs `pairs` pairs of windows per op, PUT pairs then GET pairs (the GETs read what the PUTs
 * wrote); within a pair the first target alternates, so neither always runs on a warmer machine.
 */
export async function runPaired(run: PairedRun): Promise<PairResult[]> {
  const out: PairResult[] = [];
  for (const op of ['PUT', 'GET'] as const) {
    for (let i = 0; i < run.pairs; i++) {
      const first = i % 2 === 0 ? 'A' : 'B';
      const order = first === 'A' ? [run.a, run.b] : [run.b, run.a];
      const [r1, r2] = [await run.measure(order[0]!, op, run.windowS), await run.measure(order[1]!, op, run.windowS)];
      const pair: PairResult = { op, first, a: first === 'A' ? r1 : r2, b: first === 'A' ? r2 : r1 };
      out.push(pair);
      run.log?.(`   ${op} pair ${i + 1}/${run.pairs}: B/A ops ${(pair.b.opsPerS / pair.a.opsPerS).toFixed(3)}`
        + (pair.a.cpuUsPerOp && pair.b.cpuUsPerOp ? `, cpu ${(pair.b.cpuUsPerOp / pair.a.cpuUsPerOp).toFixed(3)}` : ''));
    }
  }
  return out;
}

/** The report's lines: per op, the ratio of throughput and of CPU per op, median [quartiles] (range). */
export function formatPaired(a: PairedTarget, b: PairedTarget, summary: readonly PairedSummary[]): string[] {
  const f = (s: RatioSpread) => `${s.median.toFixed(3)} [${s.q1.toFixed(3)}-${s.q3.toFixed(3)}] (${s.min.toFixed(3)}-${s.max.toFixed(3)}, ${s.pairs} pairs)`;
  return [
    `paired: B = ${b.label} (${b.endpoints.join(',')}) against A = ${a.label} (${a.endpoints.join(',')}); ratio B/A, median [quartiles] (range)`,
    ...summary.flatMap((s) => [
      `  ${s.op} ops/s      ${f(s.throughput)}`,
      ...(s.cpu ? [`  ${s.op} cpu us/op  ${f(s.cpu)}   (below 1: B spends less CPU per request)`] : []),
    ]),
  ];
}
