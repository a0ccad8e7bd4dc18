#!/usr/bin/env node
// How long a node's event loop stalls while it computes the ring of a membership change at a large
// Q: on the loop (core's assignPartitions, as before) against the server's WorkerRingAssigner. Each
// measurement runs in a fresh process, as a node meets its first change: the coldest case. The
// stall is the longest gap between 1 ms timer ticks while the ring is computed. A report, no
// pass/fail. Needs a build (npm run build). Usage: node scripts/ring-stall-bench.mjs [runs] [Q]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);

async function one(mode, m, zones, q) {
  const { assignPartitions } = await import('../packages/core/dist/index.js');
  const { WorkerRingAssigner } = await import('../packages/server/dist/membership/worker-ring-assigner.js');
  const { createLogger } = await import('../packages/server/dist/observability/logger.js');
  const members = (k) => Array.from({ length: k }, (_, i) => (zones > 0 ? { id: `node-${i}`, zone: `z${i % zones}` } : { id: `node-${i}` }));
  // The ring before the join, computed at a small Q first would not warm it up: compute it in a
  // child of this process' own kind, then hand it over as a snapshot would (JSON).
  const previous = JSON.parse(execFileSync(process.execPath, [here, '--previous', String(m - 1), String(zones), String(q)], { maxBuffer: 1 << 28 }).toString());
  const assigner = new WorkerRingAssigner(createLogger('silent', {}));
  let last = performance.now();
  let stall = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 1);
  await new Promise((r) => setTimeout(r, 20));
  stall = 0;
  last = performance.now();
  const started = performance.now();
  const req = { members: members(m), partitions: q, replicas: 3, previous };
  if (mode === 'loop') assignPartitions(req.members, q, 3, previous);
  else await assigner.compute(req);
  const wall = performance.now() - started;
  await new Promise((r) => setTimeout(r, 5));
  clearInterval(tick);
  await assigner.close();
  process.stdout.write(JSON.stringify({ wall, stall }));
}

async function previousRing(m, zones, q) {
  const { assignPartitions } = await import('../packages/core/dist/index.js');
  const members = Array.from({ length: m }, (_, i) => (zones > 0 ? { id: `node-${i}`, zone: `z${i % zones}` } : { id: `node-${i}` }));
  process.stdout.write(JSON.stringify(assignPartitions(members, q, 3)));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main() {
  const runs = Number(process.argv[2] ?? 3);
  const q = Number(process.argv[3] ?? 65536);
  console.log(`ring of a join at Q=${q}, N=3, first change in a fresh process (median of ${runs}; node ${process.version})`);
  console.log('members  zones   loop: stall ms   worker: stall ms  (wall ms)');
  for (const [m, zones] of [[3, 0], [5, 2], [10, 3], [50, 0]]) {
    const got = { loop: [], worker: [] };
    for (let i = 0; i < runs; i++) {
      for (const mode of ['loop', 'worker']) {
        const out = execFileSync(process.execPath, [here, '--one', mode, String(m), String(zones), String(q)], { maxBuffer: 1 << 20 });
        got[mode].push(JSON.parse(out.toString()));
      }
    }
    const loop = median(got.loop.map((x) => x.stall));
    const worker = median(got.worker.map((x) => x.stall));
    const wall = median(got.worker.map((x) => x.wall));
    console.log(`${String(m).padStart(7)}  ${String(zones || '-').padStart(5)}  ${loop.toFixed(1).padStart(15)}  ${worker.toFixed(1).padStart(17)}  (${wall.toFixed(0)})`);
  }
}

const [flag, ...rest] = process.argv.slice(2);
if (flag === '--one') await one(rest[0], Number(rest[1]), Number(rest[2]), Number(rest[3]));
else if (flag === '--previous') await previousRing(Number(rest[0]), Number(rest[1]), Number(rest[2]));
else await main();
