// The console's JSON endpoints on a real local 3-node cluster (N=2, R=W=1, so a remove moves data
// and one stopped node leaves every partition writable): healthy at first; a plan of a remove
// shows partitions moving and changes nothing; a POST from another origin is refused; after one
// node is SIGSTOPped the verdict degrades, the node is stale and suspect or down, and the
// under-replicated partitions are counted the same in /cluster/health and /cluster/partitions;
// `ringkv cluster health` agrees. Every process is stopped in afterAll.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startCluster } from '../support/cluster.js';
import { pollUntil } from '../support/poll.js';
import { runCli, stopAll, type NodeProcess } from '../support/processes.js';

let nodes: NodeProcess[];

beforeAll(async () => {
  nodes = await startCluster({ size: 3, extraArgs: ['--replicas', '2', '--r', '1', '--w', '1', '--partitions', '64'], env: { RINGKV_CONSOLE_DOWN_AFTER_MS: '5000' } });
}, 60_000);

afterAll(async () => {
  nodes?.[2]?.child?.kill('SIGCONT');
  await stopAll();
});

const json = async <T>(node: NodeProcess, path: string, init?: RequestInit): Promise<{ status: number; body: T }> => {
  const res = await fetch(`${node.url}${path}`, init);
  return { status: res.status, body: (await res.json()) as T };
};

interface Health {
  verdict: string; reasons: string[]; epoch: number; stale: string[];
  nodes: { total: number; up: number; suspect: number; down: number; stale: number };
  partitions: { total: number; fullyReplicated: number; underReplicated: number; belowWrite: number };
}

test('healthy cluster: every view answers; a remove plan moves partitions and changes nothing; a foreign origin is refused', async () => {
  const [n1] = nodes;
  const healthy = await pollUntil('a healthy verdict', async () => {
    const h = (await json<Health>(n1!, '/cluster/health')).body;
    return h.verdict === 'healthy' ? h : undefined;
  }, { timeoutMs: 30_000 });
  expect(healthy.nodes).toMatchObject({ total: 3, up: 3, stale: 0 });
  expect(healthy.partitions).toMatchObject({ total: 64, fullyReplicated: 64, underReplicated: 0 });

  const nodesView = (await json<{ nodes: { id: string; liveness: string; stale: boolean; share: { now: number } }[] }>(n1!, '/cluster/nodes')).body;
  expect(nodesView.nodes.map((n) => [n.id, n.liveness, n.stale])).toEqual([['n1', 'up', false], ['n2', 'up', false], ['n3', 'up', false]]);
  expect(nodesView.nodes.reduce((s, n) => s + n.share.now, 0)).toBeCloseTo(1, 9);
  const parts = (await json<{ partitions: { health: string }[] }>(n1!, '/cluster/partitions')).body;
  expect(parts.partitions).toHaveLength(64);
  expect((await json<{ streams: unknown[] }>(n1!, '/cluster/transfers')).status).toBe(200);
  const traffic = (await json<{ resolutionMs: number; capBytes: number; series: unknown[] }>(n1!, '/cluster/traffic?node=all')).body;
  expect([traffic.resolutionMs, traffic.capBytes]).toEqual([10_000, 3 * 1024 * 1024]);
  expect((await json<{ error: { code: string } }>(n1!, '/cluster/traffic?node=nobody')).status).toBe(400);

  const remove = JSON.stringify({ op: 'remove', id: 'n3' });
  const own = { 'content-type': 'application/json', 'x-ringkv-console': '1', origin: n1!.url };
  const plan = await json<{ op: string; id: string; epoch: number; partitionsMoving: number; shares: Record<string, { before: number; after: number }> }>(n1!, '/cluster/plan', { method: 'POST', headers: own, body: remove });
  expect(plan.status).toBe(200);
  expect(plan.body).toMatchObject({ op: 'remove', id: 'n3', epoch: healthy.epoch });
  expect(plan.body.partitionsMoving).toBeGreaterThan(0);
  expect(plan.body.shares.n3!.after).toBe(0);
  const refused = await json<{ error: { code: string } }>(n1!, '/cluster/plan', { method: 'POST', headers: { ...own, origin: 'https://evil.example' }, body: remove });
  expect([refused.status, refused.body.error.code]).toEqual([403, 'CROSS_ORIGIN']);
  const change = await json<{ error: { code: string } }>(n1!, '/cluster/changes', { method: 'POST', headers: { ...own, origin: 'https://evil.example' }, body: remove });
  expect([change.status, change.body.error.code]).toEqual([403, 'CROSS_ORIGIN']);
  // Nothing changed: same epoch, n3 still a member.
  const after = (await json<{ epoch: number; members: { id: string }[] }>(n1!, '/cluster')).body;
  expect(after.epoch).toBe(healthy.epoch);
  expect(after.members.map((m) => m.id)).toContain('n3');

  const cli = await runCli(['cluster', 'health', '--endpoint', n1!.url]);
  expect([cli.code, cli.stdout]).toEqual([0, expect.stringMatching(/^HEALTHY/)]);
}, 60_000);

test('one node SIGSTOPped: degraded, stale and suspect then down, under-replicated partitions counted alike', async () => {
  const [n1, , n3] = nodes;
  n3!.child!.kill('SIGSTOP');
  const degraded = await pollUntil('a degraded verdict with n3 stale and down', async () => {
    const h = (await json<Health>(n1!, '/cluster/health')).body;
    return h.verdict === 'degraded' && h.stale.includes('n3') && h.nodes.down === 1 ? h : undefined;
  }, { timeoutMs: 45_000, intervalMs: 200 });
  expect(degraded.nodes).toMatchObject({ up: 2, stale: 1 });
  expect(degraded.partitions.underReplicated).toBeGreaterThan(0);
  expect(degraded.partitions.belowWrite).toBe(0);
  expect(degraded.reasons).toContain('1 member is down');
  const parts = (await json<{ partitions: { health: string; replicas: string[] }[] }>(n1!, '/cluster/partitions')).body;
  const under = parts.partitions.filter((p) => p.health !== 'full');
  expect(under.length).toBe(degraded.partitions.underReplicated);
  expect(under.every((p) => p.replicas.includes('n3'))).toBe(true);
  const n3row = (await json<{ nodes: { id: string; liveness: string; stale: boolean }[] }>(n1!, '/cluster/nodes')).body.nodes.find((n) => n.id === 'n3');
  expect(n3row).toMatchObject({ liveness: 'down', stale: true });

  const cli = await runCli(['cluster', 'health', '--endpoint', n1!.url, '--json']);
  expect(cli.code).toBe(0);
  expect(JSON.parse(cli.stdout)).toMatchObject({ verdict: 'degraded', stale: ['n3'] });
  n3!.child!.kill('SIGCONT');
}, 90_000);
