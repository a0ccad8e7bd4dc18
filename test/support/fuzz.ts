// Settings shared by the fuzz suites (issue 14): one fixed seed in CI, a number of runs per
// property, and a failure message that says how to replay the very case that failed.
//
//   RINGKV_FUZZ_SEED=<n>       the seed (default 14); "random" picks a fresh one (printed on failure)
//   RINGKV_FUZZ_RUNS=<n>       runs of every property (default: each property's own, see its file)
//   RINGKV_FUZZ_PATH=<path>    replay one counterexample (fast-check's path, printed on failure);
//                              the end-to-end suites then check the node after that one case

import fc from 'fast-check';

const seedEnv = process.env.RINGKV_FUZZ_SEED;
export const FUZZ_SEED = seedEnv === 'random' ? (Date.now() ^ (process.pid << 16)) | 0 : Number(seedEnv ?? 14);
if (!Number.isInteger(FUZZ_SEED)) throw new TypeError(`RINGKV_FUZZ_SEED must be an integer or "random", got ${seedEnv}`);

/** Whether one counterexample is being replayed (RINGKV_FUZZ_PATH). */
export const REPLAYING_ONE_CASE = !!process.env.RINGKV_FUZZ_PATH;

/** Runs of a property: RINGKV_FUZZ_RUNS if set, else the property's default. */
export function fuzzRuns(defaultRuns: number): number {
  const v = process.env.RINGKV_FUZZ_RUNS;
  if (v === undefined || v === '') return defaultRuns;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`RINGKV_FUZZ_RUNS must be a positive integer, got ${v}`);
  return n;
}

export interface FuzzOptions {
  /** Runs when RINGKV_FUZZ_RUNS is not set. */
  runs: number;
  /** The test file, for the replay command (path from the repository root). */
  file: string;
  /** The test's name, for the replay command's -t. */
  test: string;
  /**
   * Stop at the first failure instead of shrinking (end-to-end properties: after a crash every
   * later case fails too, and each case costs real sockets).
   */
  noShrink?: boolean;
}

/** The command that replays a failure of `o` with this seed and counterexample path. */
export function replayCommand(o: FuzzOptions, seed: number, path?: string): string {
  const runs = process.env.RINGKV_FUZZ_RUNS;
  const env = [`RINGKV_FUZZ_SEED=${seed}`, ...(runs ? [`RINGKV_FUZZ_RUNS=${runs}`] : []), ...(path ? [`RINGKV_FUZZ_PATH=${path}`] : [])];
  const name = o.test.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `${env.join(' ')} node scripts/run-tests.mjs ${o.file} -t '${name.replace(/'/g, "'\\''")}'`;
}

/**
 * fc.check with the suite's seed and runs; a failure throws an error holding fast-check's report,
 * the seed and the command that replays it (also printed, so it shows above Jest's summary).
 */
export async function checkProperty<Ts>(property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>, o: FuzzOptions): Promise<void> {
  const path = process.env.RINGKV_FUZZ_PATH || undefined;
  const params: fc.Parameters<Ts> = {
    seed: FUZZ_SEED, numRuns: fuzzRuns(o.runs), ...(path ? { path } : {}), ...(o.noShrink ? { endOnFailure: true } : {}),
  };
  const details = await fc.check(property as fc.IAsyncProperty<Ts>, params);
  if (!details.failed) return;
  // The whole run (state a case leaves behind, e.g. in a real node, may matter), and the one case.
  const replay = `${replayCommand(o, details.seed)}\nreplay the failing case alone: ${replayCommand(o, details.seed, details.counterexamplePath ?? undefined)}`;
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  const report = `${fc.defaultReportMessage(details) ?? 'property failed'}\nerror: ${error}`;
  const head = `${o.test}: failed with seed ${details.seed}\nreplay: ${replay}`;
  console.error(head);
  // Counterexamples can be megabytes (oversized fields): the report is cut, the replay shows it all.
  throw new Error(`${head}\n${report.length > 6000 ? `${report.slice(0, 3000)}\n[...]\n${report.slice(-3000)}` : report}`);
}
