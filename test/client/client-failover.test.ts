// @ringkv/client against a real 3-node cluster: it discovers the other nodes from the one it was
// given, and a loop of puts and gets keeps succeeding while that very node is killed mid-run.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { RingkvClient, isRingkvClientError } from '@ringkv/client';
import { startCluster } from '../support/cluster.js';
import { stopAll, type NodeProcess } from '../support/processes.js';

let nodes: NodeProcess[] = [];

beforeAll(async () => {
  nodes = await startCluster({ size: 3 });
}, 60_000);

afterAll(async () => {
  await stopAll();
});

describe('client on a real cluster', () => {
  test('puts and gets keep succeeding while the only configured node is killed', async () => {
    const client = new RingkvClient({ endpoints: nodes[0].url, discover: true, discoveryIntervalMs: 3_600_000, timeoutMs: 10_000 });
    try {
      const discovered = await client.refreshEndpoints();
      expect(new Set(discovered)).toEqual(new Set(nodes.map((n) => n.url)));

      const written = new Map<string, string>();
      const servedBy = new Map<string, number>();
      let killed: Promise<void> | undefined;
      const failures: string[] = [];
      for (let i = 0; i < 300; i++) {
        if (i === 100) killed = nodes[0].kill('SIGKILL'); // not awaited: the loop runs on through the kill
        try {
          if (i % 3 === 2 && written.size > 0) {
            const keys = [...written.keys()];
            const key = keys[(i * 7919) % keys.length];
            const got = await client.get(key);
            expect(got?.text()).toBe(written.get(key));
            servedBy.set(got!.endpoint, (servedBy.get(got!.endpoint) ?? 0) + 1);
          } else {
            // Each key has one writer, so repeating the write after an unknown outcome is harmless.
            const key = `fo-${i}`;
            const res = await client.put(key, `v${i}`, { idempotent: true });
            written.set(key, `v${i}`);
            servedBy.set(res.endpoint, (servedBy.get(res.endpoint) ?? 0) + 1);
          }
        } catch (err) {
          failures.push(`${i}: ${isRingkvClientError(err) ? `${err.code} ${err.message}` : String(err)}`);
        }
      }
      await killed;
      expect(failures).toEqual([]);
      expect(nodes[0].running).toBe(false);
      // Load was spread over every node the client knew of.
      expect([...servedBy.keys()].sort()).toEqual(nodes.map((n) => n.url).sort());

      // Plain (non-idempotent) writes: the dead node refuses connections, which proves nothing was
      // sent, so they too fail over.
      for (let i = 0; i < 30; i++) {
        const res = await client.put(`plain-${i}`, `p${i}`);
        expect(res.endpoint).not.toBe(nodes[0].url);
        written.set(`plain-${i}`, `p${i}`);
      }

      // Every acknowledged write reads back with a quorum from the two survivors.
      for (const [key, value] of written) {
        expect((await client.get(key, { r: 'quorum' }))?.text()).toBe(value);
      }
      await client.delete('fo-0');
      expect(await client.get('fo-0')).toBeUndefined();
    } finally {
      client.close();
    }
  }, 90_000);
});
