// A node holding data is ready, and serves reads and writes, before its anti-entropy trees are
// rebuilt (issue 17 item 5: restart to ready must not wait for a scan of the whole store). The
// rebuild's reads are held back until the test lets them go; then every tree gets built.
import { afterEach, expect, test } from '@jest/globals';
import { encodeRecord, nodeTag, partitionOf } from '@ringkv/core';
import { MemoryEngine, dataKey, type BatchIterateOptions, type Entry } from '@ringkv/storage';
import { buildConfig, RingkvNode } from '@ringkv/server';
import { pollUntil } from '../../../../test/support/poll.js';

const PARTITIONS = 8;
const DATA_TAG = 0x01;

/** Range reads of data keys (the trees' rebuild) wait until released; everything else goes through. */
class GatedEngine extends MemoryEngine {
  private released = false;
  private readonly waiting: (() => void)[] = [];
  gatedReads = 0;
  release(): void {
    this.released = true;
    for (const go of this.waiting.splice(0)) go();
  }
  override iterateBatches(options: BatchIterateOptions = {}): AsyncIterable<Entry[]> {
    const from = options.gte;
    if (this.released || from === undefined || from[0] !== DATA_TAG) return super.iterateBatches(options);
    this.gatedReads++;
    const gate = new Promise<void>((resolve) => this.waiting.push(resolve));
    const inner = (): AsyncIterable<Entry[]> => super.iterateBatches(options);
    return (async function* () {
      await gate;
      yield* inner();
    })();
  }
}

let node: RingkvNode | undefined;
let engine: GatedEngine | undefined;
afterEach(async () => {
  engine?.release();
  await node?.stop();
  node = undefined;
  engine = undefined;
});

const enc = new TextEncoder();

test('a node with data is ready and serves before its trees are rebuilt; the trees follow once their reads can run', async () => {
  engine = new GatedEngine();
  await engine.open();
  // Data already on disk, as after a restart: 200 keys spread over the partitions.
  const tag = nodeTag('local');
  await engine.batch(Array.from({ length: 200 }, (_, i) => {
    const key = enc.encode(`k${i}`);
    const value = encodeRecord({ ts: { wallMs: Date.now() - 60_000, logical: 0, node: tag }, tombstone: false, expiresAtMs: 0, value: enc.encode(`v${i}`) });
    return { type: 'put' as const, key: dataKey(partitionOf(key, PARTITIONS), key), value };
  }));
  node = new RingkvNode(buildConfig({ http: '127.0.0.1:0', peer: '127.0.0.1:0', engine: 'memory', logLevel: 'silent', id: 'local', partitions: PARTITIONS }), { engine });
  await node.start();
  const base = `http://${node.httpAddress}`;

  await pollUntil('the node to be ready', async () => (await fetch(`${base}/ready`)).status === 200);
  const status = (await (await fetch(`${base}/cluster/anti-entropy`)).json()) as { partitions: { partition: number; state: string }[] };
  expect(status.partitions).toHaveLength(PARTITIONS);
  expect(status.partitions.every((p) => p.state === 'rebuilding')).toBe(true);
  expect(engine.gatedReads).toBeGreaterThan(0);
  // Reads and writes do not need the trees: the store is the truth, the trees only summarise it.
  const read = await fetch(`${base}/kv/k7`);
  expect(read.status).toBe(200);
  expect(await read.text()).toBe('v7');
  expect((await fetch(`${base}/kv/k7`, { method: 'PUT', body: 'new' })).status).toBe(204);
  expect(await (await fetch(`${base}/kv/k7`)).text()).toBe('new');
  expect((await fetch(`${base}/kv/fresh`, { method: 'PUT', body: 'x' })).status).toBe(204);

  engine.release();
  await pollUntil('every tree rebuilt', async () => {
    const s = (await (await fetch(`${base}/cluster/anti-entropy`)).json()) as { partitions: { state: string; entries: number | null }[] };
    return s.partitions.every((p) => p.state === 'ready') ? s : undefined;
  }).then((s) => {
    // Every key, the ones written while the trees were being rebuilt included, is in a tree once.
    expect(s.partitions.reduce((sum, p) => sum + (p.entries ?? 0), 0)).toBe(201);
  });
});
