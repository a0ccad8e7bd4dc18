// The deterministic cluster simulation (issue #3 item 5). CI runs a fixed set of seeds with options
// drawn from each seed, the pinned regression seeds, and a determinism check. Locally:
//   SIM_SEED=1234 [SIM_NODES=5 SIM_FAULTS=crash,drop ...] node scripts/run-tests.mjs test/sim/sim.test.ts
// replays one run (SIM_VERBOSE=1 prints its whole trace), and SIM_SEEDS=500 runs 500 seeds.
import { describe, expect, test } from '@jest/globals';
import { runSimulation, type SimResult } from './run-sim.js';
import { describeOptions, optionsFromSeed, overridesFromEnv, replayCommand, type SimOverrides } from './sim-options.js';

function report(r: SimResult): string {
  return [
    `simulation ${describeOptions(r.options)}`,
    `replay: ${replayCommand(r.options)}`,
    ...r.notes,
    `${r.violations.length} violation(s):`,
    ...r.violations.map((v) => `[${v.checker}] ${v.message}`),
    'last trace lines:',
    ...r.traceTail.slice(-60),
  ].join('\n');
}

async function runSeed(seed: number, over: SimOverrides = {}): Promise<SimResult> {
  const result = await runSimulation(optionsFromSeed(seed, over));
  if (result.violations.length > 0) throw new Error(report(result));
  return result;
}

const env = process.env;
const single = env.SIM_SEED !== undefined && env.SIM_SEED !== '';

describe('cluster simulation', () => {
  if (single) {
    test(`seed ${env.SIM_SEED}`, async () => {
      const r = await runSeed(Number(env.SIM_SEED), overridesFromEnv());
      console.log(`${describeOptions(r.options)}\n${JSON.stringify(r.stats)} trace=${r.traceHash}\n${r.notes.join('\n')}`);
    }, 600_000);
    return;
  }

  const count = Number(env.SIM_SEEDS ?? 40);
  const seeds = Array.from({ length: count }, (_, i) => 1000 + i);
  test.each(seeds)('seed %i', async (seed) => {
    await runSeed(seed, overridesFromEnv());
  }, 120_000);

  test('the same seed gives the same run (trace hash)', async () => {
    const options = optionsFromSeed(7, { faults: ['partition', 'crash', 'drop', 'duplicate', 'delay', 'clog', 'clock'], nodes: 5 });
    const a = await runSimulation(options);
    const b = await runSimulation(options);
    expect(a.stats.events).toBeGreaterThan(1000);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.stats).toEqual(a.stats);
  }, 120_000);
});
