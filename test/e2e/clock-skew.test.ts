// A node whose clock runs an hour ahead (libfaketime, Debian's faketime package) in a cluster of
// three real processes, under writes through every node (issue 14: a peer or a clock running ahead
// swallowed acknowledged writes). While it is ahead it coordinates no write (503 CLOCK_SKEW), is
// not ready, and nothing stamped from the future is stored anywhere; after its clock is set right
// (a restart without faketime) it serves again. No acknowledged write is lost, before or after.
import { afterAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { freePorts } from '../support/free-port.js';
import { pollUntil } from '../support/poll.js';
import { E2E_SECRET, makeNode, stopAll, type NodeProcess } from '../support/processes.js';

const LIBFAKETIME = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
].find((p) => existsSync(p));

if (!LIBFAKETIME) {
  console.warn('clock-skew e2e test skipped: libfaketime is not installed (Debian package faketime; ./dev.sh test installs it when run as root)');
}

const HOUR_MS = 3_600_000;
const KEYS = Array.from({ length: 10 }, (_, i) => `skew-key-${i}`);

afterAll(stopAll);

interface Acked {
  round: number;
}

async function put(node: NodeProcess, key: string, round: number): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${node.url}/kv/${key}`, { method: 'PUT', body: `round-${round}` });
  const body = res.status === 204 ? undefined : ((await res.json()) as { error: { code: string } });
  return { status: res.status, code: body?.error.code };
}

/** Rounds of sequential writes of every key, each through the next node in turn. */
async function writeRounds(nodes: NodeProcess[], from: number, to: number, acked: Map<string, Acked>, refusedBy: Map<string, number>): Promise<void> {
  for (let round = from; round < to; round++) {
    for (const [j, key] of KEYS.entries()) {
      const node = nodes[(round + j) % nodes.length];
      const r = await put(node, key, round);
      if (r.status === 204) acked.set(key, { round });
      else refusedBy.set(`${node.opts.id} ${r.code}`, (refusedBy.get(`${node.opts.id} ${r.code}`) ?? 0) + 1);
    }
  }
}

/** The wall-clock part of every stored timestamp of the test's keys, per node (?local=1). */
async function storedWallMs(nodes: NodeProcess[]): Promise<number[]> {
  const out: number[] = [];
  for (const n of nodes) {
    for (const key of KEYS) {
      const ts = (await fetch(`${n.url}/kv/${key}?local=1`)).headers.get('x-ringkv-timestamp');
      if (ts) out.push(Number(ts.split('.')[0]));
    }
  }
  return out;
}

describe('a node with its clock an hour ahead (faketime)', () => {
  (LIBFAKETIME ? test : test.skip)('coordinates no write while ahead, and no acknowledged write is lost before or after its clock is set right', async () => {
    const ports = await freePorts(6);
    const seeds = [1, 3, 5].map((i) => `127.0.0.1:${ports[i]}`);
    const make = (i: number, env: NodeJS.ProcessEnv = {}) => makeNode({
      id: `n${i + 1}`, httpPort: ports[2 * i], peerPort: ports[2 * i + 1], seeds, secret: E2E_SECRET,
      env: { RINGKV_GOSSIP_INTERVAL_MS: '200', ...env },
    });
    const faked = { LD_PRELOAD: LIBFAKETIME, FAKETIME: '+1h', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
    const [n1, n2] = await Promise.all([make(0), make(1)]);
    let n3 = await make(2, faked);
    for (const n of [n1, n2, n3]) n.start();
    await Promise.all([n1.waitReady(30_000), n2.waitReady(30_000)]);

    // The others measure n3 an hour ahead; n3 knows it is out of line and is not ready.
    await pollUntil('n1 to measure n3 an hour ahead', async () => {
      const view = (await (await fetch(`${n1.url}/cluster`)).json()) as { members: { id: string; clockOffsetMs: number | null }[] };
      const off = view.members.find((m) => m.id === 'n3')?.clockOffsetMs;
      return off !== null && off !== undefined && off > HOUR_MS - 60_000;
    }, { timeoutMs: 30_000 });
    // n1 measuring n3 does not mean n3 has measured a peer yet: until it has, n3 says its clock is
    // unmeasured, a state that also refuses writes. Wait past that state for the verdict.
    const ready3 = await pollUntil('n3 to say why it is not ready', async () => {
      const res = await fetch(`${n3.url}/ready`);
      const body = (await res.json()) as { reason?: string };
      const reason = body.reason ?? '';
      const verdict = res.status !== 503 || (/clock/.test(reason) && !/not been compared/.test(reason));
      return verdict ? `${res.status} ${reason}` : undefined;
    }, { timeoutMs: 30_000 });
    expect(ready3).toMatch(/more than 500 ms from/);

    const acked = new Map<string, Acked>();
    const refused = new Map<string, number>();
    await writeRounds([n1, n2, n3], 0, 6, acked, refused);
    // Every write through n3 was refused as CLOCK_SKEW, none through the others.
    expect([...refused.keys()]).toEqual(['n3 CLOCK_SKEW']);
    expect(refused.get('n3 CLOCK_SKEW')).toBe(20);
    // Nothing stamped from the future is stored anywhere (n3 stored only what the others wrote).
    for (const wall of await storedWallMs([n1, n2, n3])) expect(wall).toBeLessThan(Date.now() + 1000);

    // Its clock is set right: a restart without faketime, on the same data.
    await n3.kill('SIGTERM');
    n3 = await makeNode({ ...n3.opts, env: { RINGKV_GOSSIP_INTERVAL_MS: '200' } });
    n3.start();
    await n3.waitReady(30_000);
    refused.clear();
    await writeRounds([n1, n2, n3], 6, 12, acked, refused);
    expect([...refused.keys()]).toEqual([]);

    // Every key reads back its last acknowledged write (or a later attempt), through every node.
    for (const n of [n1, n2, n3]) {
      for (const key of KEYS) {
        const res = await fetch(`${n.url}/kv/${key}?r=all`);
        expect(res.status).toBe(200);
        const round = Number((await res.text()).replace('round-', ''));
        expect([key, round >= acked.get(key)!.round]).toEqual([key, true]);
      }
    }
    for (const wall of await storedWallMs([n1, n2, n3])) expect(wall).toBeLessThan(Date.now() + 1000);
  }, 180_000);
});
