// The memory engine's crash model, which the simulator relies on: only writes followed by a
// synced write survive crash().
import { describe, expect, test } from '@jest/globals';
import { MemoryEngine } from '../src/memory-engine.js';
import { partitionRange, dataKey } from '../src/keys.js';
import { collect } from './engine-conformance.js';

const b = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);

async function opened(): Promise<MemoryEngine> {
  const engine = new MemoryEngine();
  await engine.open();
  return engine;
}

async function keys(engine: MemoryEngine): Promise<number[][]> {
  return (await collect(engine)).map(([k]) => Array.from(k));
}

describe('MemoryEngine.crash()', () => {
  test('unsynced writes are lost, synced writes survive', async () => {
    const engine = await opened();
    await engine.put(b(1), b(1), { sync: true });
    await engine.put(b(2), b(2));
    await engine.del(b(1));
    expect(engine.stats.unsyncedWrites).toBe(2);
    await engine.crash();
    await engine.open();
    expect(await keys(engine)).toEqual([[1]]);
    expect(await engine.get(b(1))).toEqual(b(1));
    expect(engine.stats).toEqual({ unsyncedWrites: 0, syncs: 1, crashes: 1 });
  });

  test('a later synced write makes every earlier write durable', async () => {
    const engine = await opened();
    await engine.put(b(1), b(1));
    await engine.batch([{ type: 'put', key: b(2), value: b(2) }, { type: 'del', key: b(1) }]);
    await engine.put(b(3), b(3));
    await engine.del(b(9), { sync: true });
    await engine.put(b(4), b(4));
    await engine.crash();
    await engine.open();
    expect(await keys(engine)).toEqual([[2], [3]]);
  });

  test('an unsynced range delete is undone by a crash; a synced one is not', async () => {
    const engine = await opened();
    for (const p of [1, 2]) await engine.put(dataKey(p, b(7)), b(p), { sync: true });
    await engine.deleteRange(partitionRange('data', 1));
    await engine.crash();
    await engine.open();
    expect(await collect(engine, partitionRange('data', 1))).toHaveLength(1);
    await engine.deleteRange(partitionRange('data', 1), { sync: true });
    await engine.crash();
    await engine.open();
    expect(await collect(engine, partitionRange('data', 1))).toHaveLength(0);
    expect(await collect(engine, partitionRange('data', 2))).toHaveLength(1);
  });

  test('sync() makes what came before durable', async () => {
    const engine = await opened();
    await engine.put(b(1), b(1));
    await engine.sync();
    await engine.put(b(2), b(2));
    await engine.crash();
    await engine.open();
    expect(await keys(engine)).toEqual([[1]]);
  });

  test('crash() closes the engine; a clean close keeps unsynced data until a crash', async () => {
    const engine = await opened();
    await engine.put(b(1), b(1));
    await engine.close();
    await engine.open();
    expect(await engine.get(b(1))).toEqual(b(1));
    await engine.crash();
    await expect(engine.get(b(1))).rejects.toMatchObject({ code: 'ENGINE_CLOSED' });
    await engine.crash();
    await engine.open();
    expect(await engine.get(b(1))).toBeUndefined();
  });

  test('writes in flight when crash() is called are settled before the data is reverted', async () => {
    const engine = await opened();
    const writes = [engine.put(b(1), b(1), { sync: true }), engine.put(b(2), b(2))];
    await engine.crash();
    await Promise.allSettled(writes);
    await engine.open();
    expect(await keys(engine)).toEqual([[1]]);
  });

  test('the same overwrite sequence survives exactly up to the last sync', async () => {
    const engine = await opened();
    for (let i = 0; i < 10; i++) await engine.put(b(1), b(i), { sync: i === 6 });
    await engine.crash();
    await engine.open();
    expect(await engine.get(b(1))).toEqual(b(6));
  });
});
