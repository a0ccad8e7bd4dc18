// A 3-member etcd cluster on this machine, the peer ringkv's bench compares with (issue 17: "N=3
// PUT at least 4 times etcd"): Debian's etcd-server, started by the bench on free loopback ports
// with its defaults (an fsync per commit), each member in a fresh data directory deleted at stop.
// Its JSON gateway takes the load: a PUT is POST /v3/kv/put, a GET POST /v3/kv/range, keys and
// values in base64 (http-load.ts builds them). CPU comes from /proc, the members being our children.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from './free-ports.js';

const MEMBERS = 3;
const START_TIMEOUT_MS = 20_000;

export interface EtcdCluster {
  /** Client URLs, one per member. */
  urls: string[];
  /** Where the members keep their data (removed at stop). */
  dataDir: string;
  /** CPU seconds the members have used so far (undefined where /proc cannot tell). */
  cpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

/** The etcd binary: $RINGKV_ETCD, else `etcd` on PATH; undefined when there is none. */
export function findEtcd(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = env.RINGKV_ETCD ? [env.RINGKV_ETCD] : (env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, 'etcd'));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** What to say when the bench has no etcd to compare with. */
export const ETCD_MISSING = 'etcd is not installed (Debian: apt-get install etcd-server, or set RINGKV_ETCD): the etcd comparison is skipped';

/** The arguments of member i of a cluster whose ports are given (client and peer per member). */
export function etcdArgs(i: number, dataDir: string, client: number[], peer: number[]): string[] {
  const initial = peer.map((p, j) => `e${j + 1}=http://127.0.0.1:${p}`).join(',');
  return [
    '--name', `e${i + 1}`, '--data-dir', dataDir,
    '--listen-client-urls', `http://127.0.0.1:${client[i]}`, '--advertise-client-urls', `http://127.0.0.1:${client[i]}`,
    '--listen-peer-urls', `http://127.0.0.1:${peer[i]}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer[i]}`,
    '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', 'ringkv-bench',
    '--logger', 'zap', '--log-level', 'error',
  ];
}

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/pid/stat). */
function procTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count from the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok && ((await res.json()) as { health?: unknown }).health === 'true';
  } catch {
    return false;
  }
}

/** Starts the cluster and waits until every member reports healthy (a leader is elected). */
export async function startEtcdCluster(bin: string): Promise<EtcdCluster> {
  const ports = await freePorts(2 * MEMBERS);
  const client = ports.slice(0, MEMBERS);
  const peer = ports.slice(MEMBERS);
  const root = mkdtempSync(path.join(os.tmpdir(), 'ringkv-bench-etcd-'));
  const children: ChildProcess[] = [];
  const exited: string[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      // Its data is thrown away: no clean stop needed (on SIGTERM a leader hands its leadership to
      // a member that is stopping too, and waits seconds for it).
      c.kill('SIGKILL');
    }))));
    rmSync(root, { recursive: true, force: true });
  };
  for (let i = 0; i < MEMBERS; i++) {
    const child = spawn(bin, etcdArgs(i, path.join(root, `e${i + 1}`), client, peer), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    child.once('error', (err) => exited.push(`e${i + 1}: ${err.message}`));
    child.once('exit', (code, signal) => exited.push(`e${i + 1} exited (${signal ?? code}): ${stderr.trim().split('\n').pop() ?? ''}`));
    children.push(child);
  }
  const urls = client.map((p) => `http://127.0.0.1:${p}`);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited.length > 0 || Date.now() > deadline) {
      await stop();
      throw new Error(`etcd did not start: ${exited.length > 0 ? exited.join('; ') : `no member healthy within ${START_TIMEOUT_MS / 1000} s`}`);
    }
    if ((await Promise.all(urls.map(healthy))).every(Boolean)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const hz = clockTicksPerSecond();
  return {
    urls,
    dataDir: root,
    cpuSeconds: () => {
      let ticks = 0;
      for (const c of children) {
        const t = c.pid === undefined ? undefined : procTicks(c.pid);
        if (t === undefined || !Number.isFinite(t)) return undefined;
        ticks += t;
      }
      return ticks / hz;
    },
    stop,
  };
}
