// Anti-entropy on real processes (issue #6 item 5): with hinted handoff off, a node that was down
// during writes gets every key back without any read, and the three replicas end identical.
import { afterAll, expect, test } from '@jest/globals';
import { stopAll, type NodeProcess } from '../support/processes.js';
import { getLocal, putKey, startCluster, waitAlive } from '../support/cluster.js';
import { pollUntil } from '../support/poll.js';

afterAll(stopAll);

const KEYS = 60;

async function localView(node: NodeProcess, keys: string[]): Promise<string[]> {
  return Promise.all(keys.map(async (k) => {
    const r = await getLocal(node, k);
    return `${k}:${r.status}:${r.status === 200 ? r.body : ''}:${r.ts ?? ''}`;
  }));
}

test('a restarted replica converges without reads or hints, deletes included', async () => {
  const nodes = await startCluster({
    size: 3, env: { RINGKV_HINT_WINDOW_MS: '0', RINGKV_ANTI_ENTROPY_INTERVAL_MS: '500' },
  });
  const [a, b, c] = nodes;
  const keys = Array.from({ length: KEYS }, (_, i) => `ae-${i}`);
  // Some keys exist before the outage, so the outage can delete and overwrite them.
  for (const k of keys.slice(0, 20)) expect((await putKey(a, k, `before-${k}`)).status).toBe(204);
  await pollUntil('n3 to hold the first keys', async () => (await localView(c, keys.slice(0, 20))).every((l) => l.includes(':200:')), { timeoutMs: 15_000 });

  await c.kill('SIGKILL');
  await waitAlive(a, 'n3', false);
  await waitAlive(b, 'n3', false);
  for (const [i, k] of keys.entries()) expect((await putKey(i % 2 ? a : b, k, `during-${k}`, '?w=2')).status).toBe(204);
  for (const k of keys.slice(0, 10)) {
    const res = await fetch(`${a.url}/kv/${k}?w=2`, { method: 'DELETE' });
    expect(res.status).toBe(204);
  }

  c.start();
  await c.waitReady();
  // No read of any key through the coordinator: only ?local=1 probes of each replica.
  const expected = await localView(a, keys);
  expect(expected.filter((l) => l.includes(':404:'))).toHaveLength(10);
  await pollUntil('all three replicas identical', async () => {
    const [va, vb, vc] = await Promise.all(nodes.map((n) => localView(n, keys)));
    return JSON.stringify(va) === JSON.stringify(vb) && JSON.stringify(vb) === JSON.stringify(vc);
  }, { timeoutMs: 30_000, intervalMs: 200 });
  const [vc] = await Promise.all([localView(c, keys)]);
  expect(vc).toEqual(expected);
  const metrics = await (await fetch(`${c.url}/metrics`)).text();
  expect(metrics).toMatch(/ringkv_anti_entropy_keys_repaired_total\{node="n3"\} [1-9]/);
  await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
}, 120_000);
