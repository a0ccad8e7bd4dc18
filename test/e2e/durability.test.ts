// An acknowledged write survives kill -9 of the node, with each durable engine.
import { afterAll, describe, expect, test } from '@jest/globals';
import { makeNode, stopAll } from '../support/processes.js';

afterAll(stopAll);

describe.each(['level', 'rocksdb'] as const)('kill -9 with the %s engine', (engine) => {
  test.each(['engine', 'sync'])('loses no acknowledged write (durability %s)', async (durability) => {
    const node = await makeNode({ id: `dur-${engine}`, engine, extraArgs: ['--durability', durability] });
    node.start();
    await node.waitReady();

    // Concurrent writers; the node is killed while some writes are still in flight.
    const acked = new Map<string, string>();
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const key = `w${w}-k${i}`;
        const value = `${key}-${'v'.repeat(i % 50)}`;
        try {
          const res = await fetch(`${node.url}/kv/${key}`, { method: 'PUT', body: value });
          if (res.status === 204) acked.set(key, value);
        } catch {
          return; // the node died mid-request: this write was never acknowledged
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (acked.size >= 1500) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    await node.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    expect(node.exitSignal).toBe('SIGKILL');

    node.start();
    await node.waitReady();
    const missing: string[] = [];
    const entries = [...acked];
    for (let i = 0; i < entries.length; i += 64) {
      await Promise.all(entries.slice(i, i + 64).map(async ([key, value]) => {
        const res = await fetch(`${node.url}/kv/${key}`);
        if (res.status !== 200 || (await res.text()) !== value) missing.push(key);
      }));
    }
    expect(missing).toEqual([]);
    await node.kill('SIGTERM');
    expect(node.exitCode).toBe(0);
  });
});
