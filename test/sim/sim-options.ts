// A run's options: all derived from the seed (so SIM_SEED alone replays a run), each one
// overridable from the environment (SIM_NODES, SIM_FAULTS, ...) to shrink a failing run by hand.
import { Prng } from './prng.js';
import { DEFAULT_CLUSTER, type ClusterOptions } from './sim-cluster.js';
import { FAULT_KINDS, type FaultKind, type NemesisOptions } from './nemesis.js';
import type { WorkloadOptions } from './workload.js';

export interface SimOptions {
  seed: number;
  cluster: ClusterOptions;
  workload: WorkloadOptions;
  nemesis: NemesisOptions;
  /** Simulated length of the safety phase (faults and workload). */
  safetyMs: number;
  /** Print every trace line as it happens. */
  verbose: boolean;
}

/** Overrides, as the environment variables give them. */
export interface SimOverrides {
  nodes?: number;
  faults?: readonly FaultKind[];
  clients?: number;
  keys?: number;
  ops?: number;
  safetyMs?: number;
  verbose?: boolean;
}

export function optionsFromSeed(seed: number, over: SimOverrides = {}): SimOptions {
  const p = new Prng(seed).fork('options');
  // Every draw happens whatever is overridden, so an override never shifts the other options.
  const drawn = {
    nodes: p.int(3, 8),
    // One seed in eight runs without faults (a baseline any fault-free bug shows up in); the others
    // switch each fault on with even odds.
    faults: p.chance(0.125) ? [] : FAULT_KINDS.filter(() => p.chance(0.5)),
    safetyMs: p.int(10, 25) * 1000,
    clients: p.int(2, 6),
    ops: p.int(20, 50),
    keys: p.int(2, 10),
    crashedFraction: p.next(),
  };
  const nodes = over.nodes ?? drawn.nodes;
  const faults = over.faults ?? drawn.faults;
  const safetyMs = over.safetyMs ?? drawn.safetyMs;
  const clients = over.clients ?? drawn.clients;
  const opsPerClient = over.ops ?? drawn.ops;
  const crashedLimit = Math.max(1, Math.floor((nodes - 1) / 2));
  return {
    seed,
    cluster: { ...DEFAULT_CLUSTER, nodes },
    workload: {
      clients, opsPerClient, keys: over.keys ?? drawn.keys,
      // Spread each client's operations over the safety phase.
      thinkMsMax: Math.max(10, Math.floor((2 * safetyMs) / opsPerClient)),
      readFraction: 0.45, deleteFraction: 0.1, strictFraction: 0.3,
    },
    nemesis: {
      faults, stepMsMin: 200, stepMsMax: 2500, faultMsMin: 300, faultMsMax: 6000,
      crashedMax: 1 + Math.floor(drawn.crashedFraction * crashedLimit), clockJumpMsMax: 20_000,
    },
    safetyMs,
    verbose: over.verbose ?? false,
  };
}

function intFrom(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

export function overridesFromEnv(env: NodeJS.ProcessEnv = process.env): SimOverrides {
  const out: SimOverrides = {};
  const nodes = intFrom(env, 'SIM_NODES');
  if (nodes !== undefined) out.nodes = nodes;
  const f = env.SIM_FAULTS;
  if (f !== undefined && f !== '') {
    const list = f === 'none' ? [] : f === 'all' ? [...FAULT_KINDS] : f.split(',').map((s) => s.trim());
    for (const k of list) if (!(FAULT_KINDS as readonly string[]).includes(k)) throw new Error(`SIM_FAULTS: unknown fault "${k}" (known: ${FAULT_KINDS.join(',')}, none, all)`);
    out.faults = list as FaultKind[];
  }
  const clients = intFrom(env, 'SIM_CLIENTS');
  if (clients !== undefined) out.clients = clients;
  const keys = intFrom(env, 'SIM_KEYS');
  if (keys !== undefined) out.keys = keys;
  const ops = intFrom(env, 'SIM_OPS');
  if (ops !== undefined) out.ops = ops;
  const safetyMs = intFrom(env, 'SIM_SAFETY_MS');
  if (safetyMs !== undefined) out.safetyMs = safetyMs;
  if (env.SIM_VERBOSE === '1') out.verbose = true;
  return out;
}

/** One line with everything that shapes the run (printed first, TigerBeetle style). */
export function describeOptions(o: SimOptions): string {
  const w = o.workload;
  return `seed=${o.seed} nodes=${o.cluster.nodes} faults=${o.nemesis.faults.join(',') || 'none'} clients=${w.clients} ops=${w.opsPerClient} keys=${w.keys} safetyMs=${o.safetyMs} crashedMax=${o.nemesis.crashedMax}`;
}

/** The command that replays exactly this run alone. */
export function replayCommand(o: SimOptions): string {
  const w = o.workload;
  return `SIM_SEED=${o.seed} SIM_NODES=${o.cluster.nodes} SIM_FAULTS=${o.nemesis.faults.join(',') || 'none'} SIM_CLIENTS=${w.clients} SIM_OPS=${w.opsPerClient} SIM_KEYS=${w.keys} SIM_SAFETY_MS=${o.safetyMs} node scripts/run-tests.mjs test/sim/sim.test.ts`;
}
