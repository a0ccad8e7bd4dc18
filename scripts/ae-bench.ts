// Figures for the anti-entropy note (issue #6): two in-process replicas over the memory transport,
// one million keys on classic-level, 1% of them different (half missing on one replica, half stale there). Prints
// tree rebuild time, memory per partition, time to converge and bytes exchanged (default budgets
// and unlimited), and the p99 of a foreground put/get loop with and without a running round, unpaced
// and paced by the event loop's lag as a node paces it.
//   node --import ./packages/server/test/peer/ts-loader.mjs scripts/ae-bench.ts [keys=1000000]
import { HybridLogicalClock, PartitionTree, Prng, encodeRecord, nodeTag, partitionOf, type StoredRecord } from '@ringkv/core';
import { LevelEngine, dataKey, type BatchOp, type Engine } from '@ringkv/storage';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { AntiEntropy } from '../packages/server/src/anti-entropy/anti-entropy.js';
import { ANTI_ENTROPY_DEFAULTS, type AntiEntropyOptions } from '../packages/server/src/anti-entropy/anti-entropy-options.js';
import { immediateTurn, systemClock } from '../packages/server/src/clock.js';
import { ClusterState } from '../packages/server/src/membership/cluster-state.js';
import { ReplicaStore } from '../packages/server/src/replica/replica-store.js';
import { PartitionReader } from '../packages/server/src/replica/partition-reader.js';
import { RecordAdmission } from '../packages/server/src/replica/record-admission.js';
import { MemoryNetwork } from '../packages/server/src/peer/memory-transport.js';
import { peerStack } from '../packages/server/test/support/peer-stack.js';
import { BackgroundPacer, type Pace } from '../packages/server/src/time/background-pacer.js';
import { LOOP_LAG_SAMPLE_MS, LoopLagMonitor } from '../packages/server/src/time/loop-lag.js';

const KEYS = Number(process.argv[2] ?? 1_000_000);
const Q = 256;
const T0 = 1_700_000_000_000;
const log = pino({ level: 'silent' });

function record(i: number, wallMs: number, node: number): StoredRecord {
  return { ts: { wallMs, logical: 0, node }, tombstone: false, expiresAtMs: 0, value: Buffer.from(`value-${i}-`.padEnd(100, 'x')) };
}

async function load(engine: Engine, which: 'a' | 'b'): Promise<void> {
  let ops: BatchOp[] = [];
  for (let i = 0; i < KEYS; i++) {
    const key = Buffer.from(`user:${i}`);
    const differs = i % 100 === 0; // 1%
    if (which === 'b' && differs && i % 200 === 0) continue; // missing on b (0.5%)
    const rec = which === 'b' && differs ? record(i, T0, 2) : record(i, T0 + 1, 1); // stale on b (0.5%)
    ops.push({ type: 'put', key: dataKey(partitionOf(key, Q), key), value: encodeRecord(rec) });
    if (ops.length === 10_000) {
      await engine.batch(ops);
      ops = [];
    }
  }
  await engine.batch(ops);
}

function makeNodes(network: MemoryNetwork, over: Partial<AntiEntropyOptions>, pace?: Pace) {
  const membership = {
    epoch: 1, partitions: Q, replicas: 2,
    members: ['a', 'b'].map((id) => ({ id, peer: `${id}:1`, http: `${id}:2`, status: 'normal' as const })),
  };
  return (engines: Engine[]) => ['a', 'b'].map((id, i) => {
    const engine = engines[i];
    const store = new ReplicaStore(engine, { sync: false });
    const cluster = new ClusterState(id);
    cluster.apply(membership);
    const transport = network.transport(id, `${id}:1`);
    const stack = peerStack(transport, { partitions: Q });
    const registry = new Registry();
    const admission = new RecordAdmission({
      clock: systemClock, maxSkewMs: 60_000, log, refused: new Counter({ name: 'refused', help: 'refused', labelNames: ['path'], registers: [registry] }),
    });
    const ae = new AntiEntropy({
      selfId: id, reader: new PartitionReader(engine), nextTurn: immediateTurn, prng: new Prng(`ae:${id}`), store, cluster,
      liveness: { isUp: () => true, onUp: () => undefined, report: () => undefined }, rpc: stack.rpc, router: stack.router, admission,
      clock: systemClock, hlc: new HybridLogicalClock({ node: nodeTag(id), maxDriftMs: 60_000 }), log, registry,
      ...(pace ? { pace } : {}),
    }, {
      intervalMs: 7 * 86_400_000, tombstoneGraceMs: 86_400_000, requestTimeoutMs: 30_000, ...ANTI_ENTROPY_DEFAULTS, manual: true, ...over,
    });
    return { id, engine, store, ae, transport, registry };
  });
}

function p99(samples: number[]): number {
  const s = [...samples].sort((x, y) => x - y);
  return s[Math.floor(s.length * 0.99)];
}

/** Sequential local put+get pairs on a store for durationMs; per-op latencies in ms. */
async function foreground(stores: ReplicaStore[], durationMs: number, stop: () => boolean = () => false): Promise<number[]> {
  const out: number[] = [];
  const end = performance.now() + durationMs;
  for (let i = 0; performance.now() < end && !stop(); i++) {
    const key = Buffer.from(`fg:${i % 5000}`);
    const p = partitionOf(key, Q);
    const t0 = performance.now();
    // Written to both replicas (as a replicated put would), read from one.
    const rec = record(i, Date.now(), 9);
    await Promise.all(stores.map((s) => s.apply(p, key, rec)));
    await stores[0].read(p, key);
    out.push(performance.now() - t0);
  }
  return out;
}

/** Paced as a node paces it (backgroundLagTargetMs, default 20 ms): both replicas share this process's loop. */
function loopPacer(targetLagMs: number): { pace: Pace; stop: () => void } {
  const lag = new LoopLagMonitor();
  const pacer = new BackgroundPacer({ clock: systemClock, targetLagMs, sampleMs: LOOP_LAG_SAMPLE_MS });
  lag.onSample((ms) => pacer.observe(ms));
  return { pace: pacer, stop: () => lag.stop() };
}

async function run(label: string, over: Partial<AntiEntropyOptions>, measureForeground: boolean, paceLagMs?: number): Promise<void> {
  const dirs = [0, 1].map(() => mkdtempSync(path.join(tmpdir(), 'ae-bench-')));
  const engines = dirs.map((d) => new LevelEngine(d));
  await Promise.all(engines.map((e) => e.open()));
  await load(engines[0], 'a');
  await load(engines[1], 'b');
  const network = new MemoryNetwork();
  const paced = paceLagMs === undefined ? undefined : loopPacer(paceLagMs);
  const [a, b] = makeNodes(network, over, paced?.pace)(engines);
  await Promise.all([a.transport.start(), b.transport.start()]);
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  a.ae.start();
  b.ae.start();
  await Promise.all([a.ae.whenRebuilt(), b.ae.whenRebuilt()]);
  const rebuildMs = performance.now() - t0;
  global.gc?.();
  const heapTrees = process.memoryUsage().heapUsed - heap0;

  let baseline: number[] = [];
  if (measureForeground) baseline = await foreground([a.store, b.store], 3000);
  let done = false;
  const fg = measureForeground ? foreground([a.store, b.store], 600_000, () => done) : Promise.resolve([]);
  const t1 = performance.now();
  let bytes = 0;
  let differing = 0;
  let repaired = 0;
  for (let p = 0; p < Q; p++) {
    for (const r of await a.ae.syncPartition(p)) {
      bytes += r.bytesSent + r.bytesReceived;
      differing += r.differingBuckets;
      repaired += r.keysRepaired;
      if (r.outcome === 'failed') throw new Error(`round failed: ${r.error}`);
    }
  }
  const convergeMs = performance.now() - t1;
  done = true;
  const during = await fg;
  let again = 0;
  for (let p = 0; p < Q; p++) for (const r of await a.ae.syncPartition(p)) if (r.outcome !== 'in-sync') again++;
  console.log(JSON.stringify({
    label, keys: KEYS, partitions: Q, differingKeys: KEYS / 100,
    rebuildBothMs: Math.round(rebuildMs), treeHeapBytesPerPartition: Math.round(heapTrees / (2 * Q)),
    treeBytesPerPartition: a.ae.status().treeBytesPerPartition,
    convergeMs: Math.round(convergeMs), bytesExchanged: bytes, differingBuckets: differing, keysRepaired: repaired,
    roundsNotInSyncAfter: again, scanWaitMs: a.ae.scanBudget.waitedMs, wireWaitMs: a.ae.wireBudget.waitedMs,
    ...(measureForeground ? {
      foregroundOpsIdle: baseline.length, foregroundP99IdleMs: +p99(baseline).toFixed(3),
      foregroundOpsDuringRound: during.length, foregroundP99DuringRoundMs: +p99(during).toFixed(3),
    } : {}),
  }));
  paced?.stop();
  a.ae.stop();
  b.ae.stop();
  await Promise.all(engines.map((e) => e.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

// Memory per tree, measured on its own.
{
  global.gc?.();
  const h0 = process.memoryUsage().heapUsed;
  const trees = Array.from({ length: 1000 }, () => new PartitionTree({ buckets: ANTI_ENTROPY_DEFAULTS.buckets, fanout: ANTI_ENTROPY_DEFAULTS.fanout }));
  global.gc?.();
  const per = (process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - h0) / trees.length;
  console.log(JSON.stringify({ label: 'tree memory', buckets: ANTI_ENTROPY_DEFAULTS.buckets, bytesPerTreeMeasured: Math.round(per) }));
}
await run('default budgets (8 MiB/s, 200k entries/s, 1 round at a time)', {}, true);
await run('default budgets, paced by loop lag (target 20 ms, the default)', {}, true, 20);
await run('unlimited budgets', { bytesPerSecond: Infinity, scanEntriesPerSecond: Infinity }, false);
