// Deterministic simulation of Raft under faults, many seeds. A failing seed prints how to replay it:
//   RAFT_SEED=1234 node scripts/run-tests.mjs packages/core/test/raft/raft-sim
// More seeds locally: RAFT_SEEDS=5000 node scripts/run-tests.mjs packages/core/test/raft/raft-sim
import { expect, test } from '@jest/globals';
import { RaftSim, randomSimOptions } from './sim/raft-sim.js';
import type { SimOptions } from './sim/raft-sim.js';

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const oneSeed = env.RAFT_SEED !== undefined ? Number(env.RAFT_SEED) : undefined;
const seedCount = Number(env.RAFT_SEEDS ?? 300);
const seedBase = Number(env.RAFT_SEED_BASE ?? 1);
const seeds = oneSeed !== undefined ? [oneSeed] : Array.from({ length: seedCount }, (_, i) => seedBase + i);

function runSeed(opts: SimOptions, kind: string): void {
  try {
    new RaftSim(opts).run();
  } catch (err) {
    const replay = `RAFT_SEED=${opts.seed} node scripts/run-tests.mjs packages/core/test/raft/raft-sim -t '${kind}'`;
    const msg = `raft simulation failed: seed ${opts.seed} (${kind})\noptions ${JSON.stringify(opts)}\nreplay: ${replay}\n${String((err as Error).stack ?? err)}`;
    throw new Error(msg);
  }
}

test(`safety and liveness under faults (${seeds.length} seeds x 300 steps)`, () => {
  for (const seed of seeds) runSeed(randomSimOptions(seed, 300, false), 'faults');
  expect(true).toBe(true);
});

test(`membership changes under faults (${Math.ceil(seeds.length / 3)} seeds x 400 steps)`, () => {
  const list = oneSeed !== undefined ? seeds : seeds.slice(0, Math.ceil(seeds.length / 3));
  for (const seed of list) runSeed(randomSimOptions(seed, 400, true), 'membership');
  expect(true).toBe(true);
});

test('the same seed replays the same run', () => {
  const a = new RaftSim(randomSimOptions(42, 200, true)).run();
  const b = new RaftSim(randomSimOptions(42, 200, true)).run();
  expect(a).toEqual(b);
});
