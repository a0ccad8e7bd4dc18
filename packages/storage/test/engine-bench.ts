// In-process micro-benchmark of an engine's hot paths (not a test): `batch` of 256
// unsynced puts, `getMany` of 256 present keys, and single unsynced `put`s (where the per-call
// shell of the engine shows). Reports the median over rounds of wall time per call and of process
// CPU time per call (the main thread plus LevelDB's and libuv's threads).
//
//   node --import ./packages/server/test/peer/ts-loader.mjs packages/storage/test/engine-bench.ts [rounds]
//
// BENCH_BASELINE=<path to another storage src/index.ts> runs that tree's engine too, interleaved
// round by round with this one (A B A B ...), each on its own database, so drift of the machine
// hits both alike. BENCH_ENGINE=memory measures the memory engine instead (its calls are almost
// all shell: checks, lifecycle, promise layers).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BatchOp, Engine } from '../src/engine.js';
import { LevelEngine } from '../src/level-engine.js';
import { MemoryEngine } from '../src/memory-engine.js';

type EngineClass = new (location: string) => Engine;
const ENGINE = process.env.BENCH_ENGINE === 'memory' ? 'MemoryEngine' : 'LevelEngine';

const OPS = 256;
const KEYS = 20_000;
const VALUE_BYTES = 100;
const BATCHES_PER_ROUND = 200;
const GETMANY_PER_ROUND = 200;
const PUTS_PER_ROUND = 5_000;

interface Sample {
  wallUs: number;
  cpuUs: number;
}

interface Subject {
  label: string;
  engine: Engine;
  dir: string;
  batch: Sample[];
  getMany: Sample[];
  put: Sample[];
}

function key(i: number): Uint8Array {
  const k = new Uint8Array(8);
  k[0] = 0x01;
  new DataView(k.buffer).setUint32(4, i);
  return k;
}

/** Keys and values made once, so the loop measures the engine, not the benchmark. */
const keys = Array.from({ length: KEYS }, (_, i) => key(i));
const slab = new Uint8Array(VALUE_BYTES * OPS);
for (let i = 0; i < slab.length; i++) slab[i] = (i * 31) & 0xff;
const values = Array.from({ length: OPS }, (_, i) => slab.subarray(i * VALUE_BYTES, (i + 1) * VALUE_BYTES));
const batches: BatchOp[][] = Array.from({ length: 16 }, (_, b) =>
  Array.from({ length: OPS }, (_, i) => ({ type: 'put' as const, key: keys[(b * 7919 + i * 13) % KEYS], value: values[i] })),
);
const reads: Uint8Array[][] = Array.from({ length: 16 }, (_, b) => Array.from({ length: OPS }, (_, i) => keys[(b * 104_729 + i * 17) % KEYS]));

async function measure(calls: number, run: (i: number) => Promise<unknown>): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await run(i);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallUs: (wall * 1000) / calls, cpuUs: (cpu.user + cpu.system) / calls };
}

async function round(s: Subject): Promise<void> {
  s.batch.push(await measure(BATCHES_PER_ROUND, (i) => s.engine.batch(batches[i % batches.length])));
  s.getMany.push(await measure(GETMANY_PER_ROUND, (i) => s.engine.getMany(reads[i % reads.length])));
  s.put.push(await measure(PUTS_PER_ROUND, (i) => s.engine.put(keys[(i * 7) % KEYS], values[i % OPS])));
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function report(s: Subject): string {
  const line = (name: string, xs: Sample[], per: number): string =>
    `  ${name.padEnd(22)} wall ${median(xs.map((x) => x.wallUs)).toFixed(1).padStart(8)} us/call  ` +
    `(${(median(xs.map((x) => x.wallUs)) / per).toFixed(3)} us/op)   cpu ${median(xs.map((x) => x.cpuUs)).toFixed(1).padStart(8)} us/call`;
  return [s.label, line(`batch of ${OPS} puts`, s.batch, OPS), line(`getMany of ${OPS} keys`, s.getMany, OPS), line('put', s.put, 1)].join('\n');
}

async function subject(label: string, Engine: EngineClass): Promise<Subject> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ringkv-bench-'));
  const engine = new Engine(path.join(dir, 'data'));
  await engine.open();
  // Every key present, so getMany reads real values.
  for (let i = 0; i < KEYS; i += OPS) {
    await engine.batch(keys.slice(i, i + OPS).map((k, j) => ({ type: 'put' as const, key: k, value: values[j] })));
  }
  return { label, engine, dir, batch: [], getMany: [], put: [] };
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 15);
  const subjects = [await subject(`this tree, ${ENGINE}`, ENGINE === 'MemoryEngine' ? MemoryEngine : LevelEngine)];
  const baseline = process.env.BENCH_BASELINE;
  if (baseline !== undefined && baseline !== '') {
    const mod = (await import(pathToFileURL(path.resolve(baseline)).href)) as Record<string, EngineClass>;
    subjects.push(await subject(`baseline ${baseline}, ${ENGINE}`, mod[ENGINE]));
  }
  // Warm-up (JIT, LevelDB's memtable and caches), not counted.
  for (const s of subjects) {
    await round(s);
    s.batch.length = 0;
    s.getMany.length = 0;
    s.put.length = 0;
  }
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so neither always runs on a freshly idle machine.
    const order = r % 2 === 0 ? subjects : [...subjects].reverse();
    for (const s of order) await round(s);
  }
  console.log(`node ${process.version}, ${rounds} rounds, median per round`);
  for (const s of subjects) console.log(report(s));
  for (const s of subjects) {
    await s.engine.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
}

await main();
