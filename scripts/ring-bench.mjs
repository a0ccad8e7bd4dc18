#!/usr/bin/env node
// How long assignPartitions takes (ms per assignment, median of several runs) at Q = 256, 4096 and
// 65536 for several cluster shapes (N=3): a fresh ring, and the target ring of a join (M-1 -> M) and
// of a leave (M+1 -> M) computed from the previous assignment. A report, no pass/fail. Needs a build
// (npm run build). Usage: node scripts/ring-bench.mjs [runs] [Q,Q,...]
import { performance } from 'node:perf_hooks';
import { assignPartitions } from '../packages/core/dist/index.js';

const runs = Number(process.argv[2] ?? 5);
const qs = (process.argv[3] ?? '256,4096,65536').split(',').map(Number);
const sizes = [3, 5, 10, 50];
const zoneCounts = [0, 2, 3];
const n = 3;

const members = (m, zones) =>
  Array.from({ length: m }, (_, i) => (zones > 0 ? { id: `node-${i}`, zone: `z${i % zones}` } : { id: `node-${i}` }));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median ms of `make()` over `runs` runs, after one warm-up run. */
function time(make) {
  make();
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    make();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

const fmt = (x) => x.toFixed(x < 10 ? 2 : 1).padStart(9);
console.log(`assignPartitions, N=${n}, ms per assignment (median of ${runs} runs, node ${process.version})`);
console.log('      Q  members  zones      fresh       join      leave');
for (const q of qs) {
  for (const m of sizes) {
    for (const zones of zoneCounts) {
      if (zones > m) continue;
      const ms = members(m, zones);
      const fresh = time(() => assignPartitions(ms, q, n));
      const fewer = assignPartitions(members(m - 1, zones), q, n);
      const join = time(() => assignPartitions(ms, q, n, fewer));
      const more = assignPartitions(members(m + 1, zones), q, n);
      const leave = time(() => assignPartitions(ms, q, n, more));
      console.log(`${String(q).padStart(7)}  ${String(m).padStart(7)}  ${String(zones || '-').padStart(5)}  ${fmt(fresh)}  ${fmt(join)}  ${fmt(leave)}`);
    }
  }
}
