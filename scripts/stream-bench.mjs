#!/usr/bin/env node
// How fast a join streams (issue 17 item 4): N keys of 100-byte values are written into the level
// engine of node n1's data directory (offline, in engine batches: loading is not what is measured),
// n1 starts alone and rebuilds its anti-entropy trees (a source that has been up a while: the
// rebuild is not what is measured), then n2 joins through it and pulls every partition (N=3 > 2
// members: n2 will own all of them). Reported: the stream's keys/s and MB/s as n2's topology progress counts them
// (first to last chunk of the move), the wall time from n2's start to ready, and each node's CPU
// time over the move (Linux: /proc/PID/stat, from the first poll that sees n2 receiving to the
// first that sees it done), as µs per key: on a shared machine the CPU per key is steadier than
// the rate. A report, no
// pass/fail. Needs a build (npm run build). Both nodes run on loopback with their default config.
// With --load RATE (issue 17 item 3), an open-loop foreground load of RATE requests/s (half PUT
// ?w=1, half GET ?r=1 of the loaded keys, each timed from its scheduled start) runs against n1 for
// 10 s before n2 starts and on through the move: the report gives p50/p99/p99.9 of both windows
// and the ratio of the p99s (the stream's cost to foreground latency).
// Usage: node scripts/stream-bench.mjs [--keys 1000000] [--value-bytes 100] [--partitions 256] [--json] [--prof DIR]
//   [--load RATE] [--env RINGKV_NAME=value ...] (config for both nodes, e.g. RINGKV_STREAM_PARALLEL_PARTITIONS=8)
//   [--leave] (then n1 decommissions: use with --env RINGKV_REPLICAS=1 --env RINGKV_R=1 --env RINGKV_W=1)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeRecord, nodeTag, partitionOf } from '../packages/core/dist/index.js';
import { dataKey, openEngine } from '../packages/storage/dist/index.js';
import { Agent, request } from 'undici';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'packages', 'cli', 'bin', 'ringkv.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const keys = Number(arg('keys', '1000000'));
const valueBytes = Number(arg('value-bytes', '100'));
const partitions = Number(arg('partitions', '256'));
const asJson = process.argv.includes('--json');
/** --leave: after the join, n1 decommissions (see decommission()). */
const leaveToo = process.argv.includes('--leave');
/** --prof DIR: both nodes write V8 CPU profiles there (node --cpu-prof). */
const profDir = arg('prof', undefined);
const secret = 'stream-bench-secret-of-at-least-32-bytes!';
/** --load RATE: foreground requests per second during a baseline window and the move (0: none). */
const loadRate = Number(arg('load', '0'));
const BASELINE_MS = 10_000;
/** --env K=V, repeatable: settings both nodes get (the bench's own environment's RINGKV_* do not pass). */
const nodeEnv = Object.fromEntries(process.argv.flatMap((a, i) => (a === '--env' ? [process.argv[i + 1].split(/=(.*)/s).slice(0, 2)] : [])));

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

const children = [];
const dirs = [];
function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

async function load(dir) {
  const engine = await openEngine('level', dir);
  const wallMs = Date.now() - 5000;
  const tag = nodeTag('n1');
  const value = new Uint8Array(valueBytes).fill(0x61);
  const enc = new TextEncoder();
  let ops = [];
  for (let i = 0; i < keys; i++) {
    const key = enc.encode(`key-${String(i).padStart(9, '0')}`);
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

async function startNode(id, seeds, dir) {
  const http = await freePort();
  const peer = await freePort();
  const args = [...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []), bin, 'start', '--id', id, '--http', `127.0.0.1:${http}`, '--peer', `127.0.0.1:${peer}`, '--data', dir,
    '--engine', 'level', '--partitions', String(partitions), '--secret', secret, '--log-level', 'warn',
    '--seeds', (seeds ?? [`127.0.0.1:${peer}`]).join(',')];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RINGKV_')));
  const child = spawn(process.execPath, args, { env: { ...env, RINGKV_GOSSIP_INTERVAL_MS: '200', ...nodeEnv }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return { child, url: `http://127.0.0.1:${http}`, peer: `127.0.0.1:${peer}` };
}

async function poll(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** CPU ms (user + system) of a child so far, or undefined without /proc. */
function cpuMs(child) {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

const ready = (n) => fetch(`${n.url}/ready`).then((r) => r.status === 200);
/** Whether every partition's anti-entropy tree is built (its rebuild reads the whole store). */
const treesReady = (n) => fetch(`${n.url}/cluster/anti-entropy`).then((r) => r.json())
  .then((s) => s.partitions.length > 0 && s.partitions.every((p) => p.state === 'ready'));
const view = (n) => fetch(`${n.url}/cluster`).then((r) => r.json());

const d1 = mkdtempSync(path.join(os.tmpdir(), 'ringkv-stream-bench-'));
const d2 = mkdtempSync(path.join(os.tmpdir(), 'ringkv-stream-bench-'));
dirs.push(d1, d2);
const loadStart = performance.now();
await load(d1);
const loadMs = performance.now() - loadStart;
const n1 = await startNode('n1', undefined, d1);
await poll('n1 ready', () => ready(n1), 120_000);
await poll('n1 trees rebuilt', () => treesReady(n1), 10 * 60_000);
const foreground = loadRate > 0 ? openLoop(n1.url, loadRate) : undefined;
if (foreground) await new Promise((r) => setTimeout(r, BASELINE_MS));
const joinStart = Date.now();
const joinPerfMs = performance.now();
const n2 = await startNode('n2', [n1.peer], d2);
let cpuAtStart;
let moveSeenAtMs;
const topology = await poll('n2 to finish its join', async () => {
  const v = await view(n2);
  const self = v.members?.find((m) => m.id === 'n2');
  if (cpuAtStart === undefined && v.topology?.phase === 'receiving') {
    cpuAtStart = [cpuMs(n1.child), cpuMs(n2.child)];
    moveSeenAtMs = performance.now();
  }
  return self?.status === 'normal' && v.topology?.finishedAtMs ? v.topology : undefined;
}, 30 * 60_000);
const cpuAtEnd = [cpuMs(n1.child), cpuMs(n2.child)];
const moveEndMs = performance.now();
const latency = foreground ? await foreground.stop().then((samples) => windows(samples, joinPerfMs, moveSeenAtMs ?? moveEndMs, moveEndMs)) : undefined;
const cpuOver = (i) => (cpuAtStart?.[i] === undefined || cpuAtEnd[i] === undefined ? null : cpuAtEnd[i] - cpuAtStart[i]);
const cpu = { sourceMs: cpuOver(0), receiverMs: cpuOver(1) };
await poll('n2 ready', () => ready(n2), 120_000);
const readyMs = Date.now() - joinStart;
const streamMs = topology.finishedAtMs - topology.startedAtMs;
const result = {
  keys, valueBytes, partitions, loadMs: Math.round(loadMs),
  streamedKeys: topology.keys, streamedBytes: topology.bytes, streamMs,
  keysPerSec: Math.round(topology.keys / (streamMs / 1000)),
  mbPerSec: +(topology.bytes / 1e6 / (streamMs / 1000)).toFixed(1),
  joinToReadyMs: readyMs,
  sourceCpuMs: cpu.sourceMs, receiverCpuMs: cpu.receiverMs,
  sourceUsPerKey: cpu.sourceMs === null ? null : +(cpu.sourceMs * 1000 / topology.keys).toFixed(2),
  receiverUsPerKey: cpu.receiverMs === null ? null : +(cpu.receiverMs * 1000 / topology.keys).toFixed(2),
  ...(latency ? { loadRate, latency } : {}),
};
if (asJson) console.log(JSON.stringify(result));
else {
  console.log(`stream-bench: ${keys} keys of ${valueBytes} B, Q=${partitions}, level engine, loopback`);
  console.log(`  streamed ${result.streamedKeys} keys, ${(result.streamedBytes / 1e6).toFixed(1)} MB in ${streamMs} ms`);
  console.log(`  ${result.keysPerSec} keys/s, ${result.mbPerSec} MB/s; n2 start to ready ${readyMs} ms`);
  if (result.sourceCpuMs !== null) console.log(`  CPU over the move: source ${result.sourceCpuMs} ms (${result.sourceUsPerKey} µs/key), receiver ${result.receiverCpuMs} ms (${result.receiverUsPerKey} µs/key)`);
  if (latency) {
    const row = (name, w) => `  ${name.padEnd(9)} ${String(w.count).padStart(6)} requests (${w.errors} failed${w.errors ? ` ${JSON.stringify(w.failed)}` : ''}), p50 ${w.p50} ms, p99 ${w.p99} ms, p99.9 ${w.p999} ms, max ${w.max} ms`;
    console.log(`  foreground at ${loadRate}/s (open loop, from the scheduled start):`);
    console.log(row('baseline', latency.baseline));
    console.log(row('move', latency.move));
    console.log(`  p99 during the move / baseline: ${latency.p99Ratio}`);
  }
}
if (leaveToo) await decommission();
for (const c of children) c.kill('SIGTERM');
await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));

/**
 * --leave: n1 then decommissions, and n2 receives what it did not take at the join (run it with
 * --env RINGKV_REPLICAS=1 --env RINGKV_R=1 --env RINGKV_W=1, so that the join moved only n2's share and the leave moves the rest).
 * Reported: the wall time from the leave request to n2 serving without n1, and the keys moved
 * estimated from the partitions n2 gained (the keys are spread evenly over the partitions).
 */
async function decommission() {
  const before = await fetch(`${n2.url}/cluster/ring`).then((r) => r.json());
  const n2Before = before.partitions.filter((p) => p.replicas.includes('n2')).length;
  const started = performance.now();
  const cpu0 = [cpuMs(n1.child), cpuMs(n2.child)];
  const res = await fetch(`${n1.url}/cluster/changes`, { method: 'POST', body: JSON.stringify({ op: 'leave', id: 'n1' }) });
  if (res.status !== 200) throw new Error(`leave: ${res.status} ${await res.text()}`);
  await poll('n1 to be removed', async () => (await view(n2)).members?.every((m) => m.id !== 'n1'), 30 * 60_000);
  const ms = performance.now() - started;
  const cpu1 = [cpuMs(n1.child), cpuMs(n2.child)];
  const gained = partitions - n2Before;
  const moved = Math.round((keys * gained) / partitions);
  const mb = (moved * (valueBytes + 60)) / 1e6;
  const out = { leaveMs: Math.round(ms), partitionsMoved: gained, keysMoved: moved, keysPerSec: Math.round(moved / (ms / 1000)), mbPerSecApprox: +(mb / (ms / 1000)).toFixed(1),
    sourceCpuMs: cpu1[0] - cpu0[0], receiverCpuMs: cpu1[1] - cpu0[1] };
  if (asJson) console.log(JSON.stringify({ leave: out }));
  else console.log(`  leave: ${gained} partitions (~${moved} keys, ~${mb.toFixed(1)} MB) moved to n2, leave request to removal ${out.leaveMs} ms, ~${out.keysPerSec} keys/s, ~${out.mbPerSecApprox} MB/s; CPU source ${out.sourceCpuMs} ms, receiver ${out.receiverCpuMs} ms`);
}

/**
 * An open-loop load on url: requests are issued on schedule whatever the answers do, and each is
 * timed from its scheduled start (a late answer counts its wait). stop() ends it and resolves
 * with every request's scheduled time and latency (performance.now() ms).
 */
function openLoop(url, rate) {
  const agent = new Agent({ connections: 64 });
  const value = Buffer.alloc(valueBytes, 0x62);
  const samples = [];
  const inFlight = new Set();
  const startMs = performance.now();
  let issued = 0;
  const one = (atMs) => {
    const i = issued;
    const key = `key-${String((i * 7919) % keys).padStart(9, '0')}`;
    const put = i % 2 === 0;
    const p = request(`${url}/kv/${key}?${put ? 'w=1' : 'r=1'}`, { method: put ? 'PUT' : 'GET', body: put ? value : undefined, dispatcher: agent })
      .then(async (res) => {
        // A failure is counted by its status and error code (the body says which).
        const code = res.statusCode < 300 ? undefined : await res.body.json().then((b) => b?.error?.code, () => undefined);
        if (code === undefined) await res.body.dump();
        samples.push({ atMs, ms: performance.now() - atMs, ok: res.statusCode < 300, status: code ? `${res.statusCode} ${code}` : res.statusCode });
      }, (err) => samples.push({ atMs, ms: performance.now() - atMs, ok: false, status: err?.code ?? 'error' }))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - startMs) * rate) / 1000);
    for (; issued < due; issued++) one(startMs + (issued * 1000) / rate);
  }, 1);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all([...inFlight]);
      await agent.close();
      return samples;
    },
  };
}

/** Latency of the requests scheduled before n2 started (after a second of warm-up) and during the move. */
function windows(samples, joinMs, moveStartMs, moveEndMs) {
  const stats = (list) => {
    const ms = list.filter((s) => s.ok).map((s) => s.ms).sort((a, b) => a - b);
    const q = (f) => (ms.length === 0 ? null : +ms[Math.min(ms.length - 1, Math.floor(f * ms.length))].toFixed(2));
    const failed = {};
    for (const s of list) if (!s.ok) failed[s.status] = (failed[s.status] ?? 0) + 1;
    return { count: list.length, errors: list.filter((s) => !s.ok).length, failed, p50: q(0.5), p99: q(0.99), p999: q(0.999), max: ms.length ? +ms[ms.length - 1].toFixed(2) : null };
  };
  const first = samples.reduce((m, s) => Math.min(m, s.atMs), Infinity);
  // The first second warms the connections up: not part of the baseline.
  const baseline = stats(samples.filter((s) => s.atMs >= first + 1000 && s.atMs < joinMs));
  const move = stats(samples.filter((s) => s.atMs >= moveStartMs && s.atMs <= moveEndMs));
  return { baseline, move, p99Ratio: baseline.p99 && move.p99 ? +(move.p99 / baseline.p99).toFixed(2) : null };
}
