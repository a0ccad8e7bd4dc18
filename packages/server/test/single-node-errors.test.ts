// A one-node cluster, where every key's only replica is this node's own store: a stuck engine
// write must end in 504 TIMEOUT, a failed one in 503, and each request exactly once however the
// two race (the same quorum path as any cluster; there is no single-replica shortcut).
import { afterEach, describe, expect, test } from '@jest/globals';
import { MemoryEngine, type BatchOp, type WriteOptions } from '@ringkv/storage';
import { buildConfig, RingkvNode } from '@ringkv/server';

/** Data-key batches hang or fail on demand; everything else (Raft, metadata) goes through. */
class SwitchableEngine extends MemoryEngine {
  mode: 'ok' | 'hang' | 'fail' = 'ok';
  private readonly held: (() => void)[] = [];
  /** Lets the hung writes finish (so the node can stop). */
  release(): void {
    this.mode = 'ok';
    for (const go of this.held.splice(0)) go();
  }
  override batch(ops: readonly BatchOp[], options?: WriteOptions): Promise<void> {
    const data = ops.length > 0 && ops.every((op) => op.key[0] === 0x01);
    if (data && this.mode === 'hang') return new Promise((resolve, reject) => this.held.push(() => super.batch(ops, options).then(resolve, reject)));
    if (data && this.mode === 'fail') return Promise.reject(new Error('disk on fire'));
    return super.batch(ops, options);
  }
}

let node: RingkvNode | undefined;

afterEach(async () => {
  await node?.stop();
  node = undefined;
});

async function start(engine: SwitchableEngine): Promise<string> {
  await engine.open();
  node = new RingkvNode(buildConfig({ http: '127.0.0.1:0', peer: '127.0.0.1:0', engine: 'memory', logLevel: 'silent', id: 'local', requestTimeoutMs: 300 }), { engine });
  await node.start();
  return `http://${node.httpAddress}`;
}

const put = (base: string, key: string) => fetch(`${base}/kv/${key}`, { method: 'PUT', body: 'v' });
const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe('the single-replica write path', () => {
  test('a write the engine never finishes is answered 504 TIMEOUT; later writes time out too', async () => {
    const engine = new SwitchableEngine();
    const base = await start(engine);
    expect((await put(base, 'before')).status).toBe(204);
    engine.mode = 'hang';
    const stuck = await Promise.all([put(base, 'a'), put(base, 'b')]);
    for (const res of stuck) {
      expect(res.status).toBe(504);
      expect(await codeOf(res)).toBe('TIMEOUT');
    }
    const after = await put(base, 'c');
    expect(after.status).toBe(504);
    // The node itself still answers, and what was acknowledged is still read back.
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(await (await fetch(`${base}/kv/before`)).text()).toBe('v');
    engine.release(); // lets stop() finish
  });

  test('a failed engine write is 503 QUORUM_UNAVAILABLE, and the store refuses writes after it', async () => {
    const engine = new SwitchableEngine();
    const base = await start(engine);
    engine.mode = 'fail';
    const failed = await put(base, 'x');
    expect(failed.status).toBe(503);
    expect(await codeOf(failed)).toBe('QUORUM_UNAVAILABLE');
    engine.mode = 'ok';
    // A failed write leaves the store unsure of what is on disk: it refuses until restarted.
    const next = await put(base, 'y');
    expect(next.status).toBe(503);
    expect((await fetch(`${base}/kv/y`)).status).toBe(404);
  });
});
