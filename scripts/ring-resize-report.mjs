#!/usr/bin/env node
// Ownership moved and balance when a cluster grows 3 -> 6 and shrinks back to 3, one member at a
// time (Q=256, N=3), against the minimum that must move. Needs a build (npm run build).
import { assignPartitions, movedSlots, minimumMovedSlots, ownershipStats } from '../packages/core/dist/index.js';

const q = Number(process.argv[2] ?? 256);
const n = 3;
const sizes = [3, 4, 5, 6, 5, 4, 3];
let prev;
console.log(`Q=${q} N=${n}`);
console.log('members  moved slots  minimum  max/min slots per member (ideal)');
for (const m of sizes) {
  const members = Array.from({ length: m }, (_, i) => ({ id: `n${i + 1}` }));
  const next = assignPartitions(members, q, n, prev);
  const stats = ownershipStats(next);
  const moved = prev ? movedSlots(prev, next) : 0;
  const min = prev ? minimumMovedSlots(prev, next) : 0;
  console.log(`${String(m).padStart(7)}  ${String(moved).padStart(11)}  ${String(min).padStart(7)}  ${stats.max}/${stats.min} (${stats.ideal.toFixed(1)})`);
  prev = next;
}
