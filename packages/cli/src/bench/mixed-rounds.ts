// The mixed scenario against a ceiling in the same rounds: each round runs the cluster, then the
// bare node:http server, at the same constant rate (open loop), so the p99 of ringkv is judged
// against what this machine gives a server that does nothing, measured minutes apart at most.
// Per op, the ratio ringkv p99 / ceiling p99 is taken within each round and its median reported
// (issue 17's bar: at most 1.5).
import type { OpLatencies, OpenLoopResult } from './open-loop.js';

export interface MixedRound {
  ringkv: OpenLoopResult;
  /** Absent when no ceiling runs. */
  ceiling?: OpenLoopResult;
}

export interface MixedRoundsRun {
  rounds: number;
  runRingkv(round: number): Promise<OpenLoopResult>;
  runCeiling?: (round: number) => Promise<OpenLoopResult>;
  log?: (line: string) => void;
}

/** Runs the rounds, ringkv first in each (the order never changes what a round compares). */
export async function runMixedRounds(run: MixedRoundsRun): Promise<MixedRound[]> {
  const out: MixedRound[] = [];
  for (let i = 0; i < run.rounds; i++) {
    if (run.rounds > 1) run.log?.(`-- round ${i + 1} of ${run.rounds}`);
    const ringkv = await run.runRingkv(i);
    out.push(run.runCeiling ? { ringkv, ceiling: await run.runCeiling(i) } : { ringkv });
  }
  return out;
}

export interface P99Comparison {
  op: 'GET' | 'PUT';
  /** Median over the rounds of ringkv's p99 and of the ceiling's. */
  ringkvP99Ms: number;
  ceilingP99Ms: number;
  /** Median over the rounds of (ringkv p99 / ceiling p99) within a round. */
  ratio: number;
  perRound: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Per op, ringkv's p99 against the ceiling's; empty when no round ran a ceiling. */
export function compareP99(rounds: readonly MixedRound[]): P99Comparison[] {
  const withCeiling = rounds.filter((r): r is Required<MixedRound> => r.ceiling !== undefined);
  if (withCeiling.length === 0) return [];
  return (['GET', 'PUT'] as const).map((op) => {
    const pick = (r: OpenLoopResult): OpLatencies => (op === 'GET' ? r.get : r.put);
    const perRound = withCeiling.map((r) => pick(r.ringkv).p99Ms / pick(r.ceiling).p99Ms);
    return {
      op,
      ringkvP99Ms: median(withCeiling.map((r) => pick(r.ringkv).p99Ms)),
      ceilingP99Ms: median(withCeiling.map((r) => pick(r.ceiling).p99Ms)),
      ratio: median(perRound),
      perRound,
    };
  });
}

export function formatComparison(c: readonly P99Comparison[]): string[] {
  return c.map((x) => `  ${x.op} p99 ringkv ${x.ringkvP99Ms.toFixed(2)} ms, bare node:http ${x.ceilingP99Ms.toFixed(2)} ms: ratio ${x.ratio.toFixed(2)}`
    + (x.perRound.length > 1 ? ` (rounds: ${x.perRound.map((r) => r.toFixed(2)).join(' ')})` : ''));
}
