// `ringkv bench --scenario mixed`: k6/load.ts's constant arrival rate (open loop) against the
// cluster and, in the same rounds, against the bare node:http server unless --ceilings leaves it
// out; prints each round's latencies and k6's thresholds, then ringkv's p99 against the bare
// server's. Exit code 1 when a round misses a threshold.
import { startCeiling, type CeilingServer } from '../bench/ceiling-servers.js';
import { compareP99, formatComparison, runMixedRounds } from '../bench/mixed-rounds.js';
import { runOpenLoop, type OpenLoopOptions } from '../bench/open-loop.js';
import { judgeMixed, type MixedResult } from '../bench/scenarios.js';

/** k6/load.ts's thresholds. */
const THRESHOLDS = { p99GetMs: 50, p99PutMs: 100, maxErrorRate: 0.01 };

function print(r: MixedResult, ratePerSec: number): void {
  console.log(`mixed (open loop, latency from each request's scheduled time): ${r.opsPerS.toFixed(0)} ops/s at a target of ${ratePerSec}/s, error rate ${r.errorRate.toFixed(4)}${r.dropped ? `, ${r.dropped} not sent (too many outstanding)` : ''}`);
  for (const [op, l] of [['GET', r.get], ['PUT', r.put]] as const) {
    console.log(`  ${op} ${l.count} answered: p50 ${l.p50Ms.toFixed(2)} ms, p99 ${l.p99Ms.toFixed(2)} ms, p99.9 ${l.p999Ms.toFixed(2)} ms, max ${l.maxMs.toFixed(2)} ms`);
  }
  for (const t of r.thresholds) console.log(`  ${t.ok ? 'ok  ' : 'FAIL'} ${t.name} (${t.value})`);
}

export async function benchMixed(load: OpenLoopOptions, rounds: number, withCeiling: boolean): Promise<void> {
  let bare: CeilingServer | undefined;
  let missed = false;
  try {
    if (withCeiling) bare = await startCeiling('bare');
    const ceilingUrl = bare?.url;
    const results = await runMixedRounds({
      rounds,
      log: (line) => console.error(line),
      runRingkv: async () => {
        const raw = await runOpenLoop(load);
        const judged = judgeMixed(raw, THRESHOLDS);
        print(judged, load.ratePerSec);
        if (judged.thresholds.some((t) => !t.ok)) missed = true;
        return raw;
      },
      ...(ceilingUrl ? { runCeiling: () => runOpenLoop({ ...load, endpoints: [ceilingUrl], access: {} }) } : {}),
    });
    const comparison = compareP99(results);
    if (comparison.length > 0) {
      console.log(`same rounds, bare node:http at the same rate${rounds > 1 ? ' (medians of rounds)' : ''}:`);
      for (const line of formatComparison(comparison)) console.log(line);
    }
  } finally {
    await bare?.stop();
  }
  if (missed) process.exitCode = 1;
}
