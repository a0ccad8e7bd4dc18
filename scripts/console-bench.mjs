#!/usr/bin/env node
// What the console costs (issue 18's note), in one sitting. A report, no pass/fail. Needs a build
// (npm run build) and Chromium (Debian's chromium; RINGKV_CHROMIUM names another binary).
//  (a) A local 3-node cluster (default config, level engine) is loaded by `ringkv bench` (PUTs then
//      GETs over all three nodes) in short rounds, interleaved ABBA: with the console open in a
//      headless Chromium tab on n1 (the Overview by default, at its own refresh interval) and with
//      the tab closed (the browser keeps running either way, so only the page differs). Reported
//      per mode: the median ops/s and the nodes' CPU per op (bench's cpu us/op, the nodes' own
//      process CPU), and Chromium's CPU over the open rounds. Before that, on the idle cluster, the
//      nodes' CPU over windows with the tab open and closed (the console's own cost, unhidden).
//  (b) The traffic history's memory on n1 after the rounds (usedBytes of GET /cluster/traffic,
//      bytes per sample, how long the default cap holds), and the sampler's CPU: TrafficSampler.tick
//      timed in this process over n1's real latency histograms (parsed from its /metrics).
//  (c) How long the pages take to render for a simulated 200-member cluster: a fixture server
//      serves packages/server/ui and JSON shaped as docs/console.md for 200 members (Q=1024, N=3);
//      the time from navigation to the Overview's verdict (and the Nodes table's last row, the Ring's
//      last cell) being shown, cold (new browser context) and warm (reload), median of runs.
// Usage: node scripts/console-bench.mjs [--pairs 3] [--duration 5] [--connections 32] [--page overview]
//        [--refresh MS] [--idle-seconds 20] [--members 200] [--render-runs 10] [--json FILE]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { TrafficSampler } from '../packages/server/dist/console/traffic-sampler.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'packages', 'cli', 'bin', 'ringkv.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const pairs = Number(arg('pairs', '3'));
const duration = Number(arg('duration', '5'));
const connections = Number(arg('connections', '32'));
const pageName = arg('page', 'overview');
const refresh = arg('refresh', undefined);
const members = Number(arg('members', '200'));
const renderRuns = Number(arg('render-runs', '10'));
const jsonOut = arg('json', undefined);
const idleSeconds = Number(arg('idle-seconds', '20'));
const secret = 'console-bench-secret-of-at-least-32-bytes';
const CHROMIUM = process.env.RINGKV_CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!CHROMIUM) {
  console.error('chromium is not installed: apt-get install chromium (./dev.sh test installs it as root), or set RINGKV_CHROMIUM');
  process.exit(2);
}

const children = [];
const dirs = [];
let browserServer;
function cleanup() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  try {
    browserServer?.process()?.kill('SIGKILL');
  } catch { /* gone already */ }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RINGKV_')));

async function until(what, probe, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- (a) the cluster and the bench rounds ----
async function startCluster() {
  const ports = [];
  for (let i = 0; i < 3; i++) ports.push({ http: await freePort(), peer: await freePort() });
  const seeds = ports.map((p) => `127.0.0.1:${p.peer}`).join(',');
  const nodes = ports.map((p, i) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), `console-bench-n${i + 1}-`));
    dirs.push(dir);
    const child = spawn(process.execPath, [bin, 'start', '--id', `n${i + 1}`, '--http', `127.0.0.1:${p.http}`, '--peer', `127.0.0.1:${p.peer}`,
      '--data', dir, '--engine', 'level', '--secret', secret, '--seeds', seeds, '--log-level', 'warn'], { env: cleanEnv(), stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    return { id: `n${i + 1}`, url: `http://127.0.0.1:${p.http}`, child };
  });
  for (const n of nodes) await until(`${n.id} ready`, async () => (await fetch(`${n.url}/ready`)).ok);
  await until('a healthy verdict', async () => (await (await fetch(`${nodes[0].url}/cluster/health`)).json()).verdict === 'healthy');
  return nodes;
}

function runBench(endpoints, preload) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'console-bench-report-'));
  dirs.push(dir);
  const file = path.join(dir, 'bench.json');
  const args = [bin, 'bench', '--endpoint', endpoints.join(','), '--ceilings', 'none', '--duration', String(duration), '--warmup', '1',
    '--connections', String(connections), '--keys', '20000', '--json', file, ...(preload ? [] : ['--no-preload'])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: cleanEnv(), stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`ringkv bench exited ${code}`));
      const report = JSON.parse(readFileSync(file, 'utf8'));
      const row = (op) => report.rows.find((r) => r.op === op);
      resolve({ put: row('PUT'), get: row('GET') });
    });
  });
}

/** CPU seconds (user + system) of a process and all its descendants, from /proc. */
function treeCpuSeconds(rootPid) {
  const tick = 100; // USER_HZ on Linux
  const stats = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(d), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / tick });
    } catch { /* exited */ }
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop();
    total += stats.get(pid)?.cpu ?? 0;
    for (const [child, s] of stats) if (s.ppid === pid) stack.push(child);
  }
  return total;
}

async function benchRounds(nodes, browser) {
  const endpoints = nodes.map((n) => n.url);
  const url = `${nodes[0].url}/ui/${refresh ? `?refresh=${refresh}` : ''}#${pageName}`;
  const results = { open: [], closed: [] };
  let chromeCpu = 0;
  let chromeSeconds = 0;
  // Warm-up and preload, not measured.
  await runBench(endpoints, true);
  for (let i = 0; i < pairs; i++) {
    for (const mode of i % 2 === 0 ? ['closed', 'open'] : ['open', 'closed']) {
      let context;
      if (mode === 'open') {
        context = await browser.newContext();
        const page = await context.newPage();
        await page.goto(url);
        await page.waitForSelector('[data-testid="overview-verdict"][data-value], [data-testid="page-nodes"], [data-testid="page-traffic"]', { timeout: 15_000 });
      }
      const cpu0 = treeCpuSeconds(browserServer.process().pid);
      const t0 = Date.now();
      const r = await runBench(endpoints, false);
      if (mode === 'open') {
        chromeCpu += treeCpuSeconds(browserServer.process().pid) - cpu0;
        chromeSeconds += (Date.now() - t0) / 1000;
        await context.close();
      }
      results[mode].push(r);
      console.error(`  round ${i + 1} ${mode.padEnd(6)} PUT ${r.put.opsPerS.toFixed(0)} ops/s ${r.put.cpuUsPerOp?.toFixed(1)} us/op  GET ${r.get.opsPerS.toFixed(0)} ops/s ${r.get.cpuUsPerOp?.toFixed(1)} us/op`);
    }
  }
  const summary = (mode) => Object.fromEntries(['put', 'get'].map((op) => [op, {
    opsPerS: median(results[mode].map((r) => r[op].opsPerS)),
    cpuUsPerOp: median(results[mode].map((r) => r[op].cpuUsPerOp)),
    p99Ms: median(results[mode].map((r) => r[op].p99Ms)),
    rounds: results[mode].map((r) => Math.round(r[op].opsPerS)),
  }]));
  return { page: url.replace(nodes[0].url, ''), open: summary('open'), closed: summary('closed'), chromiumCpuShare: chromeCpu / chromeSeconds };
}

/**
 * The console's own cost on idle nodes, where bench noise does not hide it: the three nodes' CPU
 * seconds over windows of `idleSeconds` with the tab open and closed, interleaved ABBA.
 */
async function idleWindows(nodes, browser) {
  const url = `${nodes[0].url}/ui/${refresh ? `?refresh=${refresh}` : ''}#${pageName}`;
  const cpu = () => nodes.reduce((a, n) => a + treeCpuSeconds(n.child.pid), 0);
  const out = { open: [], closed: [] };
  for (let i = 0; i < pairs; i++) {
    for (const mode of i % 2 === 0 ? ['closed', 'open'] : ['open', 'closed']) {
      const context = mode === 'open' ? await browser.newContext() : undefined;
      if (context) await (await context.newPage()).goto(url);
      const c0 = cpu();
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
      out[mode].push((cpu() - c0) / ((Date.now() - t0) / 1000));
      await context?.close();
    }
  }
  return { seconds: idleSeconds, openCoreShare: median(out.open), closedCoreShare: median(out.closed), open: out.open, closed: out.closed };
}

// ---- (b) the history's memory and the sampler's CPU ----
function parseHistogram(text, name) {
  const values = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_`)) continue;
    const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const kv of m[2].matchAll(/(\w+)="([^"]*)"/g)) labels[kv[1]] = kv[2];
    values.push({ metricName: m[1], labels, value: Number(m[3]) });
  }
  return { name, values };
}

async function historyAndSampler(n1) {
  const traffic = await (await fetch(`${n1.url}/cluster/traffic?node=n1`)).json();
  const metrics = await (await fetch(`${n1.url}/metrics`)).text();
  const hist = parseHistogram(metrics, 'ringkv_kv_request_duration_seconds');
  // The histogram grows between ticks as it would under load (every bucket count moves on).
  let bump = 0;
  const kvLatency = { get: async () => ({ name: hist.name, values: hist.values.map((v) => ({ ...v, value: v.value + (v.metricName.endsWith('_bucket') ? bump : 0) })) }) };
  let now = Date.now();
  const clock = { nowMs: () => now, monotonicMs: () => now, setTimer: () => ({ cancel() {} }) };
  const sampler = new TrafficSampler({ clock, kvLatency, opsByPartition: new Uint32Array(256), hintsDelivered: () => new Map([['n2', 0], ['n3', 0]]), capBytes: 1024 * 1024 });
  await sampler.tick(false);
  const ticks = 2000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < ticks; i++) {
    now += 10_000;
    bump += 7;
    await sampler.tick();
  }
  const cpu = process.cpuUsage(cpu0);
  const usPerTick = (cpu.user + cpu.system) / ticks;
  const bytesPerSample = traffic.series.length ? traffic.usedBytes / traffic.series.length : null;
  return {
    capBytes: traffic.capBytes, usedBytes: traffic.usedBytes, samples: traffic.series.length, bytesPerSample,
    capHoldsHours: bytesPerSample ? (traffic.capBytes / bytesPerSample) * 10 / 3600 : null,
    samplerHistogramSeries: hist.values.length,
    samplerUsPerTick: usPerTick, samplerWallUsPerTick: ((performance.now() - t0) * 1000) / ticks,
    samplerCpuShare: usPerTick / 10_000_000,
    // The sampler's own history after `ticks` samples (bounded by its cap).
    samplerHistoryBytesAfterTicks: sampler.history.usedBytes ?? null,
  };
}

// ---- (c) render times for a simulated membership ----
function fixture(n, q = 1024, replicas = 3) {
  const ids = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const lists = Array.from({ length: q }, (_, p) => Array.from({ length: replicas }, (_, k) => ids[(p * 7 + k * 13) % n]));
  const now = Date.now();
  const health = {
    verdict: 'degraded', reasons: ['1 member is down', '3 partitions are under-replicated'], node: 'n1', epoch: 42, leader: 'n1',
    nodes: { total: n, up: n - 1, suspect: 0, down: 1, joining: 0, leaving: 0, stale: 1 },
    partitions: { total: q, fullyReplicated: q - 3, underReplicated: 3, belowRead: 0, belowWrite: 0, unavailable: 0 },
    transfers: { inFlight: 2 }, hints: { count: 1234, bytes: 567_890, oldestAgeMs: 65_000 },
    antiEntropy: { oldestRoundAgeMs: 420_000, overduePartitions: 0 }, stale: [ids[n - 1]],
  };
  const nodes = {
    node: 'n1', epoch: 42, nodes: ids.map((id, i) => ({
      id, peer: `10.0.${i >> 8}.${i & 255}:7171`, http: `10.0.${i >> 8}.${i & 255}:7071`, zone: `z${i % 3}`, status: 'normal',
      liveness: i === n - 1 ? 'down' : 'up', phi: i === n - 1 ? null : 0.4, lastHeardAgeMs: 150 + i, clockOffsetMs: (i % 7) - 3,
      share: { now: replicas / n, afterMoves: replicas / n }, diskBytes: 1_000_000_000 + i * 1000, hints: { to: i === n - 1 ? 1234 : 0, from: i < 3 ? 411 : 0 },
      streams: i < 2 ? 1 : 0, p99Ms: { get: 1.2, put: 2.5 }, stale: i === n - 1,
    })),
  };
  const partitions = {
    epoch: 42, replicas, r: 2, w: 2, partitions: lists.map((l, p) => ({
      partition: p, replicas: l, up: l.includes(ids[n - 1]) ? replicas - 1 : replicas, health: l.includes(ids[n - 1]) ? 'under' : 'full',
      pendingOwners: [], lastMerkleExchangeMs: now - 60_000, hints: 0, opsPerSecond: 3.5,
    })),
  };
  const transfers = {
    streams: [{ partition: 5, source: 'n2', destination: 'n3', bytesDone: 1_000_000, bytesTotal: null, rateBytesPerSecond: 500_000, etaSeconds: null, stalled: false }],
    hints: [{ holder: 'n1', target: ids[n - 1], count: 1234, bytes: 567_890, oldestAgeMs: 65_000, deliveredPerSecond: 0, dropped: 0 }],
    antiEntropy: lists.slice(0, 300).map((_, p) => ({ node: ids[p % n], partition: p, lastCompletedMs: now - 60_000, keysRepaired: 0, overdue: false })),
  };
  const series = Array.from({ length: 360 }, (_, i) => ({
    atMs: now - (360 - i) * 10_000, get: { ops: 5000, p50Ms: 0.5, p99Ms: 2 }, put: { ops: 2000, p50Ms: 0.8, p99Ms: 3 }, delete: { ops: 0, p50Ms: null, p99Ms: null }, errors: {},
  }));
  const traffic = { resolutionMs: 10_000, capBytes: n * 1024 * 1024, usedBytes: n * 100_000, series };
  return { '/cluster/health': health, '/cluster/nodes': nodes, '/cluster/partitions': partitions, '/cluster/transfers': transfers, '/cluster/traffic': traffic };
}

async function fixtureServer(n) {
  const uiDir = path.join(root, 'packages', 'server', 'ui');
  const json = Object.fromEntries(Object.entries(fixture(n)).map(([k, v]) => [k, JSON.stringify(v)]));
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
  const server = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    if (json[p]) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(json[p]);
    }
    const rel = p === '/ui/' ? 'index.html' : p.startsWith('/ui/') ? p.slice(4) : null;
    const file = rel && path.join(uiDir, rel);
    if (file && file.startsWith(uiDir) && existsSync(file) && statSync(file).isFile()) {
      res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
      return res.end(readFileSync(file));
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${server.address().port}`, bytes: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, v.length])) };
}

/** Navigation start to `selector` carrying a data-value, in the page's own clock (performance.now()). */
const WATCH = `(() => {
  const want = JSON.parse(sessionStorage.getItem('__watch') || 'null');
  if (!want) return;
  const seen = () => { const el = document.querySelector(want); return el && el.hasAttribute('data-value') && el.getAttribute('data-value') !== ''; };
  new MutationObserver((_m, obs) => { if (seen()) { window.__renderedAt = performance.now(); obs.disconnect(); } })
    .observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-value'] });
})();`;

async function renderTimes(browser, n) {
  const { server, url, bytes } = await fixtureServer(n);
  const targets = [
    ['overview', '[data-testid="overview-verdict"]'],
    ['nodes', `[data-testid="node-n${n}-liveness"]`],
    ['ring', `[data-testid="ring-count-under"]`],
  ];
  const out = {};
  try {
    for (const [hash, selector] of targets) {
      const cold = [];
      const warm = [];
      for (let i = 0; i < renderRuns; i++) {
        const context = await browser.newContext();
        await context.addInitScript(`sessionStorage.setItem('__watch', ${JSON.stringify(JSON.stringify(selector))});`);
        await context.addInitScript(WATCH);
        const page = await context.newPage();
        await page.goto(`${url}/ui/?refresh=600000#${hash}`);
        cold.push(await page.waitForFunction(() => window.__renderedAt, null, { timeout: 30_000 }).then((h) => h.jsonValue()));
        await page.reload();
        warm.push(await page.waitForFunction(() => window.__renderedAt, null, { timeout: 30_000 }).then((h) => h.jsonValue()));
        await context.close();
      }
      out[hash] = { coldMs: median(cold), warmMs: median(warm), coldRuns: cold.map((x) => Math.round(x)) };
    }
  } finally {
    server.close();
  }
  return { members: n, jsonBytes: bytes, pages: out };
}

// ---- the report ----
const started = Date.now();
browserServer = await chromium.launchServer({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
const browser = await chromium.connect(browserServer.wsEndpoint());
console.error(`console-bench: 3 nodes, ${pairs} pairs of ${duration} s rounds (PUT then GET each), ${connections} connections; machine: ${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
const nodes = await startCluster();
const idle = await idleWindows(nodes, browser);
const bench = await benchRounds(nodes, browser);
const history = await historyAndSampler(nodes[0]);
const render = await renderTimes(browser, members);
await browser.close();
await browserServer.close();
for (const n of nodes) n.child.kill('SIGTERM');

const report = { at: new Date().toISOString(), seconds: Math.round((Date.now() - started) / 1000), loadAvg: os.loadavg(), options: { pairs, duration, connections, idleSeconds }, idle, bench, history, render };
const f = (v, d = 1) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(d));
console.log(`\n(a) ringkv bench, console ${bench.page} open vs closed (median of ${pairs} rounds each, interleaved)`);
for (const op of ['put', 'get']) {
  const o = bench.open[op];
  const c = bench.closed[op];
  console.log(`  ${op.toUpperCase()}: closed ${f(c.opsPerS, 0)} ops/s, ${f(c.cpuUsPerOp)} us CPU/op (nodes); open ${f(o.opsPerS, 0)} ops/s, ${f(o.cpuUsPerOp)} us CPU/op; open/closed ${f(o.opsPerS / c.opsPerS, 3)} (rounds closed ${c.rounds.join(' ')}, open ${o.rounds.join(' ')})`);
}
console.log(`  Chromium (the tab and the browser) while open: ${f(bench.chromiumCpuShare * 100)}% of one core`);
console.log(`  idle cluster, the three nodes' CPU over ${idle.seconds} s windows: closed ${f(idle.closedCoreShare * 100, 2)}% of a core, open ${f(idle.openCoreShare * 100, 2)}% (windows closed ${idle.closed.map((x) => f(x * 100, 2)).join(' ')}, open ${idle.open.map((x) => f(x * 100, 2)).join(' ')})`);
console.log(`(b) traffic history on n1: ${history.usedBytes} B used of ${history.capBytes} B after ${history.samples} samples (${f(history.bytesPerSample, 0)} B/sample: the cap holds ${f(history.capHoldsHours)} h)`);
console.log(`    sampler tick over n1's latency histograms (${history.samplerHistogramSeries} series): ${f(history.samplerUsPerTick)} us CPU per tick, one tick per 10 s = ${f(history.samplerCpuShare * 1e6, 2)} ppm of a core`);
console.log(`(c) render with ${render.members} members (fixture; JSON bytes ${Object.entries(render.jsonBytes).map(([k, v]) => `${k} ${v}`).join(', ')}), median of ${renderRuns}:`);
for (const [page, t] of Object.entries(render.pages)) console.log(`    ${page}: cold ${f(t.coldMs)} ms, warm ${f(t.warmMs)} ms (navigation start to the value shown)`);
if (jsonOut) {
  writeFileSync(jsonOut, JSON.stringify(report, null, 2));
  console.log(`report written to ${jsonOut}`);
}
process.exit(0);
