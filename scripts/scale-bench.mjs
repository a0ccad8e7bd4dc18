#!/usr/bin/env node
// Data far beyond memory (issue 17 item 5): for each N, N keys of 100-byte values are written
// offline into the level engine of a fresh data directory (engine batches, as stream-bench does:
// loading is not what is measured), then one node starts on it and is measured: time from start to
// ready (GET /ready 200) and to "trees rebuilt" (every partition of GET /cluster/anti-entropy
// ready), RSS and JS heap once started, after filling the record cache with GETs of distinct keys
// and after an open-loop GET load over random keys (packages/cli's runOpenLoop: requests on
// schedule, latency from the scheduled time), GET p50/p99/p99.9, then the same after a restart
// (SIGTERM, start again: the figure that counts for "restart to ready"), and the bytes on disk.
// RSS is reported as anonymous memory (V8's heap, malloc) plus file-backed pages (the node binary,
// ~48 MB, and LevelDB's tables, which it maps into memory while it holds them open).
// A report on stdout and in a JSON file, no pass/fail. Needs a build (npm run build). Each data
// directory is under the OS temp dir and deleted after its N (10M keys is ~1.3 GB).
// Usage: node scripts/scale-bench.mjs [--keys 100000,1000000,10000000] [--rate 1000] [--duration 10]
//   [--fill 200000] [--value-bytes 100] [--partitions 256] [--out scale-bench.json] [--node-args "..."]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { runOpenLoop } from '../packages/cli/dist/bench/open-loop.js';
import { encodeRecord, nodeTag, partitionOf } from '../packages/core/dist/index.js';
import { dataKey, openEngine } from '../packages/storage/dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'packages', 'cli', 'bin', 'ringkv.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const parseCount = (s) => {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
  if (!m) throw new Error(`not a key count: ${s}`);
  return Math.round(Number(m[1]) * ({ k: 1e3, m: 1e6 }[m[2].toLowerCase()] ?? 1));
};
const counts = arg('keys', '100k,1M,10M').split(',').map(parseCount);
const valueBytes = Number(arg('value-bytes', '100'));
const partitions = Number(arg('partitions', '256'));
const ratePerSec = Number(arg('rate', '1000'));
const durationS = Number(arg('duration', '10'));
/** Distinct keys read (closed loop) before the open-loop load, to fill the record cache. */
const fillKeys = Number(arg('fill', '200000'));
const outFile = arg('out', 'scale-bench.json');
/** Extra node flags for the server process (e.g. "--heapsnapshot-signal=SIGUSR2"). */
const nodeArgs = (arg('node-args', '') || '').split(' ').filter(Boolean);
const secret = 'scale-bench-secret-of-at-least-32-bytes!!';

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

const children = new Set();
const dirs = new Set();
function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

/** The keys runOpenLoop asks for: load-0 .. load-(n-1). */
async function load(dir, n) {
  const engine = await openEngine('level', dir);
  const wallMs = Date.now() - 5000;
  const tag = nodeTag('n1');
  const enc = new TextEncoder();
  let ops = [];
  let values = randomBytes(0);
  for (let i = 0; i < n; i++) {
    const key = enc.encode(`load-${i}`);
    // Random bytes: values that compress (a run of one letter) would make the store a fraction of its size.
    if (i % 10_000 === 0) values = randomBytes(10_000 * valueBytes);
    const value = values.subarray((i % 10_000) * valueBytes, (i % 10_000 + 1) * valueBytes);
    const record = { ts: { wallMs, logical: i & 0xffff, node: tag }, tombstone: false, expiresAtMs: 0, value };
    ops.push({ type: 'put', key: dataKey(partitionOf(key, partitions), key), value: encodeRecord(record) });
    if (ops.length === 10_000) {
      await engine.batch(ops);
      ops = [];
    }
  }
  if (ops.length > 0) await engine.batch(ops);
  await engine.close();
}

function diskBytes(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? diskBytes(p) : statSync(p).size;
  }
  return total;
}

async function startNode(dir, ports) {
  const args = [...nodeArgs, bin, 'start', '--id', 'n1', '--http', `127.0.0.1:${ports.http}`, '--peer', `127.0.0.1:${ports.peer}`, '--data', dir,
    '--engine', 'level', '--partitions', String(partitions), '--secret', secret, '--log-level', 'warn',
    '--seeds', `127.0.0.1:${ports.peer}`];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RINGKV_')));
  const startedAt = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return { child, startedAt, url: `http://127.0.0.1:${ports.http}` };
}

async function stopNode(n) {
  if (n.child.exitCode !== null) return;
  const exited = new Promise((r) => n.child.once('exit', r));
  n.child.kill('SIGTERM');
  await exited;
}

async function poll(what, fn, timeoutMs, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const isReady = (n) => fetch(`${n.url}/ready`).then((r) => r.status === 200);
const treesReady = (n) => fetch(`${n.url}/cluster/anti-entropy`).then((r) => r.json())
  .then((s) => s.partitions.length > 0 && s.partitions.every((p) => p.state === 'ready'));

/** RSS (from /proc) and the server's own gauges (JS heap, record cache). */
async function memory(n) {
  const status = readFileSync(`/proc/${n.child.pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  const text = await fetch(`${n.url}/metrics`).then((r) => r.text());
  const gauge = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    rssMB: +(kb('VmRSS') / 1e6).toFixed(1),
    peakRssMB: +(kb('VmHWM') / 1e6).toFixed(1),
    // Anonymous memory (heaps, malloc) and file pages mapped into the process (LevelDB mmaps its tables).
    rssAnonMB: +(kb('RssAnon') / 1e6).toFixed(1),
    rssFileMB: +(kb('RssFile') / 1e6).toFixed(1),
    heapUsedMB: +(gauge('ringkv_process_nodejs_heap_size_used_bytes') / 1e6).toFixed(1),
    heapTotalMB: +(gauge('ringkv_process_nodejs_heap_size_total_bytes') / 1e6).toFixed(1),
    externalMB: +(gauge('ringkv_process_nodejs_external_memory_bytes') / 1e6).toFixed(1),
    cacheMB: +(gauge('ringkv_record_cache_bytes') / 1e6).toFixed(1),
    cacheEntries: gauge('ringkv_record_cache_entries'),
  };
}

/** Reads `count` distinct keys (closed loop, 32 at a time) so the record cache fills up. */
async function fillCache(n, keys, count) {
  const agent = new Agent({ connections: 32 });
  const total = Math.min(count, keys);
  const offset = Math.floor(Math.random() * keys);
  let next = 0;
  let misses = 0;
  const worker = async () => {
    while (next < total) {
      const i = (offset + next++) % keys;
      const res = await agent.request({ origin: n.url, path: `/kv/load-${i}`, method: 'GET' });
      await res.body.dump();
      if (res.statusCode !== 200) misses++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 32 }, worker));
  await agent.close();
  return { reads: total, notFound: misses, ms: Math.round(performance.now() - t0) };
}

async function getLoad(n, keys) {
  const r = await runOpenLoop({ endpoints: [n.url], ratePerSec, durationS, warmupS: 2, readRatio: 1, keys, valueBytes, connections: 16 });
  if (r.errors > 0 || r.dropped > 0) console.error(`  (GET load: ${r.errors} errors, ${r.dropped} dropped)`);
  const ms = (v) => +v.toFixed(2);
  return { opsPerS: Math.round(r.opsPerS), errors: r.errors, dropped: r.dropped, p50Ms: ms(r.get.p50Ms), p99Ms: ms(r.get.p99Ms), p999Ms: ms(r.get.p999Ms), maxMs: ms(r.get.maxMs) };
}

/** Start the node, time ready and trees rebuilt, and read its memory once both are there. */
async function startAndTime(dir, ports) {
  const n = await startNode(dir, ports);
  await poll('ready', () => isReady(n), 5 * 60_000, 50);
  const readyMs = Math.round(performance.now() - n.startedAt);
  const atReady = await memory(n);
  await poll('trees rebuilt', () => treesReady(n), 30 * 60_000, 200);
  const treesMs = Math.round(performance.now() - n.startedAt);
  return { n, readyMs, treesMs, atReady, afterStart: await memory(n) };
}

async function measure(keys) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ringkv-scale-bench-'));
  dirs.add(dir);
  try {
    const t0 = performance.now();
    await load(dir, keys);
    const loadMs = Math.round(performance.now() - t0);
    const ports = { http: await freePort(), peer: await freePort() };
    const first = await startAndTime(dir, ports);
    const fill = await fillCache(first.n, keys, fillKeys);
    const afterFill = await memory(first.n);
    const get = await getLoad(first.n, keys);
    const afterLoad = await memory(first.n);
    await stopNode(first.n);
    const again = await startAndTime(dir, ports);
    const getAfterRestart = await getLoad(again.n, keys);
    const afterRestartLoad = await memory(again.n);
    await stopNode(again.n);
    return {
      keys, loadMs, diskMB: +(diskBytes(dir) / 1e6).toFixed(1),
      firstStart: { readyMs: first.readyMs, treesMs: first.treesMs, atReady: first.atReady, afterStart: first.afterStart, fill, afterFill, get, afterLoad },
      restart: { readyMs: again.readyMs, treesMs: again.treesMs, atReady: again.atReady, afterStart: again.afterStart, get: getAfterRestart, afterLoad: afterRestartLoad },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
  }
}

const results = [];
console.log(`scale-bench: ${counts.join(', ')} keys of ${valueBytes} B, Q=${partitions}, level engine, one node, GET at ${ratePerSec}/s for ${durationS} s`);
for (const keys of counts) {
  const r = await measure(keys);
  results.push(r);
  const f = r.firstStart;
  const s = r.restart;
  console.log(`N=${keys}: loaded in ${r.loadMs} ms, ${r.diskMB} MB on disk`);
  console.log(`  first start: ready ${f.readyMs} ms, trees ${f.treesMs} ms; RSS ${f.afterStart.rssMB} MB, heap ${f.afterStart.heapUsedMB} MB`);
  console.log(`  after ${f.fill.reads} distinct GETs: RSS ${f.afterFill.rssMB} MB, heap ${f.afterFill.heapUsedMB} MB, cache ${f.afterFill.cacheMB} MB / ${f.afterFill.cacheEntries} entries`);
  console.log(`  GET load: p50 ${f.get.p50Ms} ms, p99 ${f.get.p99Ms} ms, p99.9 ${f.get.p999Ms} ms; RSS ${f.afterLoad.rssMB} MB (peak ${f.afterLoad.peakRssMB}), heap ${f.afterLoad.heapUsedMB} MB`);
  console.log(`  restart: ready ${s.readyMs} ms, trees ${s.treesMs} ms; RSS ${s.afterStart.rssMB} MB, heap ${s.afterStart.heapUsedMB} MB`);
  console.log(`  GET load after restart: p50 ${s.get.p50Ms} ms, p99 ${s.get.p99Ms} ms; RSS ${s.afterLoad.rssMB} MB (peak ${s.afterLoad.peakRssMB}), heap ${s.afterLoad.heapUsedMB} MB`);
}
// RSS as anonymous + file-backed (LevelDB's mapped tables and the node binary) in MB.
const rss = (m) => `${m.rssMB} (${m.rssAnonMB} + ${m.rssFileMB})`;
console.log('\nRSS in MB as total (anon + file). "restarted": after a restart once its trees are rebuilt; "cache full": first start, after the distinct GETs.');
console.log('| keys | disk MB | restart to ready ms | to trees rebuilt ms | RSS restarted | RSS cache full | heap used / total, cache full | record cache MB / entries | peak RSS | GET p50 / p99 / p99.9 ms | after restart p50 / p99 / p99.9 ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  const f = r.firstStart;
  const s = r.restart;
  const peak = Math.max(f.afterLoad.peakRssMB, s.afterLoad.peakRssMB);
  console.log(`| ${r.keys} | ${r.diskMB} | ${s.readyMs} | ${s.treesMs} | ${rss(s.afterStart)} | ${rss(f.afterFill)} | ${f.afterFill.heapUsedMB} / ${f.afterFill.heapTotalMB} | ${f.afterFill.cacheMB} / ${f.afterFill.cacheEntries} | ${peak} | ${f.get.p50Ms} / ${f.get.p99Ms} / ${f.get.p999Ms} | ${s.get.p50Ms} / ${s.get.p99Ms} / ${s.get.p999Ms} |`);
}
writeFileSync(outFile, JSON.stringify({ valueBytes, partitions, ratePerSec, durationS, fillKeys, at: new Date().toISOString(), loadAverage: os.loadavg(), results }, null, 2));
console.log(`\nwritten to ${outFile}`);
