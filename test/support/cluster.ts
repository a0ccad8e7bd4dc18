// A local cluster of real ringkv processes on free loopback ports, for end-to-end tests.
import { freePorts } from './free-port.js';
import { E2E_SECRET, makeNode, type NodeProcess } from './processes.js';
import { pollUntil } from './poll.js';

export interface ClusterOptions {
  size: number;
  engine?: 'level' | 'rocksdb' | 'memory';
  /** Shared by every node; E2E_SECRET unless given (at least 32 bytes, or the nodes refuse to start). */
  secret?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

export async function startCluster(o: ClusterOptions): Promise<NodeProcess[]> {
  const ports = await freePorts(o.size * 2);
  const seeds = Array.from({ length: o.size }, (_, i) => `127.0.0.1:${ports[2 * i + 1]}`);
  const nodes = await Promise.all(Array.from({ length: o.size }, (_, i) => makeNode({
    id: `n${i + 1}`, httpPort: ports[2 * i], peerPort: ports[2 * i + 1], seeds, engine: o.engine ?? 'level',
    secret: o.secret ?? E2E_SECRET, extraArgs: o.extraArgs, env: { RINGKV_GOSSIP_INTERVAL_MS: '200', ...o.env },
  })));
  for (const n of nodes) n.start();
  await Promise.all(nodes.map((n) => n.waitReady()));
  return nodes;
}

/** Waits until `observer` sees `target` as alive (or not). */
export async function waitAlive(observer: NodeProcess, targetId: string, alive: boolean, timeoutMs = 15_000): Promise<void> {
  await pollUntil(`${observer.opts.id} to see ${targetId} ${alive ? 'up' : 'down'}`, async () => {
    const view = (await (await fetch(`${observer.url}/cluster`)).json()) as { members: { id: string; alive: boolean }[] };
    return view.members.find((m) => m.id === targetId)?.alive === alive;
  }, { timeoutMs });
}

export async function putKey(node: NodeProcess, key: string, value: string, query = ''): Promise<Response> {
  return fetch(`${node.url}/kv/${encodeURIComponent(key)}${query}`, { method: 'PUT', body: value });
}

export async function getLocal(node: NodeProcess, key: string): Promise<{ status: number; body: string; ts: string | null }> {
  const res = await fetch(`${node.url}/kv/${encodeURIComponent(key)}?local=1`);
  return { status: res.status, body: await res.text(), ts: res.headers.get('x-ringkv-timestamp') };
}
