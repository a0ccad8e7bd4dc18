// `ringkv cluster health`: the human rendering (verdict, reasons, counts) and the exit code
// (non-zero only when some partition is below W), as tables.
import { expect, test } from '@jest/globals';
import type { ClusterHealth } from '@ringkv/client';
import { healthExitCode, renderHealth } from '../src/commands/cluster.js';

const base: ClusterHealth = {
  verdict: 'healthy', reasons: [], node: 'n1', epoch: 3, leader: 'n2',
  nodes: { total: 3, up: 3, suspect: 0, down: 0, joining: 0, leaving: 0, stale: 0 },
  partitions: { total: 256, fullyReplicated: 256, underReplicated: 0, belowRead: 0, belowWrite: 0, unavailable: 0 },
  transfers: { inFlight: 0 }, hints: { count: 0, bytes: 0, oldestAgeMs: null }, antiEntropy: { oldestRoundAgeMs: 4000 }, stale: [],
};

test.each<[string, ClusterHealth, number, RegExp[]]>([
  ['healthy', base, 0, [/^HEALTHY {3}\(node n1, epoch 3, leader n2\)/, /NODES +3 total +3 up/, /PARTITIONS +256 total +256 full/, /oldest anti-entropy round 4 s/]],
  ['degraded', {
    ...base, verdict: 'degraded', reasons: ['1 member is suspect', '170 partitions are under-replicated'], stale: ['n3'],
    nodes: { ...base.nodes, up: 2, suspect: 1, stale: 1 }, partitions: { ...base.partitions, fullyReplicated: 86, underReplicated: 170 },
    hints: { count: 12, bytes: 1200, oldestAgeMs: 61_000 },
  }, 0, [/^DEGRADED/, /^ {2}- 1 member is suspect$/m, /170 under-replicated/, /hints 12 \(1200 bytes, oldest 61 s\)/, /stale \(did not answer in time\): n3/]],
  ['unavailable', { ...base, verdict: 'unavailable', reasons: ['5 partitions are below the write quorum'], partitions: { ...base.partitions, belowWrite: 5 } }, 1, [/^UNAVAILABLE/, /5 below W/]],
])('%s: exit %i', (_name, h, code, patterns) => {
  expect(healthExitCode(h)).toBe(code);
  const out = renderHealth(h);
  for (const p of patterns) expect(out).toMatch(p);
});
