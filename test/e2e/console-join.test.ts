// A fresh single node plans and makes its own join over the HTTP API, on real processes (what the
// console's Membership page does, without a browser): POST /cluster/plan with seeds answers the
// cluster's plan of the add (the same as a member's own) and changes nothing; a plan with seeds
// from a member of a cluster is refused; POST /cluster/join then makes it a member that ends
// normal on every node, holding the keys written before it joined.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { partitionOf } from '@ringkv/core';
import { getLocal, putKey, startCluster } from '../support/cluster.js';
import { pollUntil } from '../support/poll.js';
import { E2E_SECRET, makeNode, stopAll, type NodeProcess } from '../support/processes.js';

const ARGS = ['--replicas', '2', '--partitions', '16'];
let nodes: NodeProcess[];

beforeAll(async () => {
  nodes = await startCluster({ size: 2, extraArgs: ARGS });
}, 60_000);

afterAll(stopAll);

const post = async (node: NodeProcess, path: string, body: unknown) => {
  const res = await fetch(`${node.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-ringkv-console': '1' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const cluster = async (node: NodeProcess) => (await (await fetch(`${node.url}/cluster`)).json()) as { epoch: number; members: { id: string; status: string }[] };

test('a fresh node: the plan of its join through a seed, then the join', async () => {
  const [n1, n2] = nodes as [NodeProcess, NodeProcess];
  for (let i = 0; i < 20; i++) expect((await putKey(n1, `before-join-${i}`, `v${i}`)).status).toBe(204);
  const n3 = await makeNode({ id: 'n3', secret: E2E_SECRET, extraArgs: ARGS, env: { RINGKV_GOSSIP_INTERVAL_MS: '200' } });
  n3.start();
  await n3.waitReady();
  const epochBefore = (await cluster(n1)).epoch;

  const add = { op: 'add', member: { id: 'n3', peer: n3.peer, http: `127.0.0.1:${n3.opts.httpPort}` } };
  const viaSeed = await post(n3, '/cluster/plan', { ...add, seeds: ['127.0.0.1:1', n2.peer] });
  expect(viaSeed.status).toBe(200);
  expect(viaSeed.body).toMatchObject({ op: 'add', id: 'n3', epoch: epochBefore });
  expect(viaSeed.body.partitionsMoving).toBeGreaterThan(0);
  expect(viaSeed.body).toEqual((await post(n1, '/cluster/plan', add)).body);
  // A member of a cluster plans with its own membership, not through seeds.
  const refused = await post(n1, '/cluster/plan', { ...add, seeds: [n2.peer] });
  expect([refused.status, (refused.body.error as { code: string }).code]).toEqual([409, 'MEMBERSHIP_CHANGE_REFUSED']);
  expect((await cluster(n1)).epoch).toBe(epochBefore);
  expect((await cluster(n3)).members.map((m) => m.id)).toEqual(['n3']);

  expect((await post(n3, '/cluster/join', { seeds: [n1.peer] })).status).toBe(202);
  for (const n of [n1, n2, n3]) {
    await pollUntil(`${n.opts.id} to see n3 normal`, async () => (await cluster(n)).members.map((m) => `${m.id} ${m.status}`).join(', ') === 'n1 normal, n2 normal, n3 normal', { timeoutMs: 30_000, intervalMs: 200 });
  }
  // It holds what it owns: every key of a partition it replicates is on it.
  const ring = (await (await fetch(`${n3.url}/cluster/ring`)).json()) as { partitions: { partition: number; replicas: string[] }[] };
  expect(ring.partitions.some((p) => p.replicas.includes('n3'))).toBe(true);
  const mine = Array.from({ length: 20 }, (_, i) => `before-join-${i}`)
    .filter((k) => ring.partitions[partitionOf(new TextEncoder().encode(k), 16)]!.replicas.includes('n3'));
  expect(mine.length).toBeGreaterThan(0);
  for (const k of mine) expect([k, (await getLocal(n3, k)).status]).toEqual([k, 200]);
}, 90_000);
