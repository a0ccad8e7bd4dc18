// Topology changes on real processes: a cluster grows 3 -> 5 -> 3 through joins and
// decommissions while a writer runs, and every acknowledged write reads back afterwards.
import { afterAll, expect, test } from '@jest/globals';
import { E2E_SECRET, makeNode, stopAll, type NodeProcess } from '../support/processes.js';
import { putKey, startCluster } from '../support/cluster.js';
import { pollUntil } from '../support/poll.js';

afterAll(stopAll);

interface View { epoch: number; members: { id: string; status: string }[]; topology?: { phase: string } }
const view = async (n: NodeProcess): Promise<View> => (await fetch(`${n.url}/cluster`)).json() as Promise<View>;

test('3 -> 5 -> 3 under a running writer: every acknowledged write reads back', async () => {
  const founders = await startCluster({ size: 3 });
  const seeds = founders.map((n) => n.peer);
  const acked = new Map<string, string>();
  let running = true;
  let attempts = 0;
  const writer = (async () => {
    for (let i = 0; running; i++) {
      const key = `t${i}`;
      const value = `value-${i}`;
      attempts++;
      const res = await putKey(founders[i % 3], key, value, '?w=2').catch(() => undefined);
      if (res?.status === 204) acked.set(key, value);
    }
  })();

  // Grow: n4, then n5, each joins through the seeds and becomes ready once it holds what it owns.
  const joiners: NodeProcess[] = [];
  for (const id of ['n4', 'n5']) {
    const n = await makeNode({ id, seeds, secret: E2E_SECRET, env: { RINGKV_GOSSIP_INTERVAL_MS: '200' } });
    n.start();
    await n.waitReady(60_000);
    joiners.push(n);
  }
  const grown = await view(founders[0]);
  expect(grown.members.map((m) => `${m.id}:${m.status}`)).toEqual(['n1:normal', 'n2:normal', 'n3:normal', 'n4:normal', 'n5:normal']);

  // Shrink: n5, then n4, decommission; each hands its partitions over and leaves.
  for (const n of [...joiners].reverse()) {
    const res = await fetch(`${n.url}/cluster/leave`, { method: 'POST' });
    expect(res.status).toBe(202);
    await pollUntil(`${n.opts.id} to leave`, async () => (await view(n)).topology?.phase === 'left', { timeoutMs: 60_000 });
    await pollUntil(`${n.opts.id} gone from the membership`, async () => !(await view(founders[0])).members.some((m) => m.id === n.opts.id));
    await n.kill('SIGTERM');
  }
  running = false;
  await writer;
  expect(acked.size).toBeGreaterThan(50);
  console.log(`topology e2e: ${acked.size} of ${attempts} writes acknowledged during 3 -> 5 -> 3`);

  const missing: string[] = [];
  const entries = [...acked];
  for (let i = 0; i < entries.length; i += 32) {
    await Promise.all(entries.slice(i, i + 32).map(async ([key, value]) => {
      const res = await fetch(`${founders[(i / 32) % 3].url}/kv/${key}?r=all`);
      if (res.status !== 200 || (await res.text()) !== value) missing.push(key);
    }));
  }
  expect(missing).toEqual([]);
  const final = await view(founders[0]);
  expect(final.members.map((m) => m.id)).toEqual(['n1', 'n2', 'n3']);
  await Promise.all(founders.map((n) => n.kill('SIGTERM')));
}, 240_000);
