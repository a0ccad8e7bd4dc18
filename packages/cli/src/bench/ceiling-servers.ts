// The ceilings a benchmark compares ringkv with, each in its own process on a free loopback port:
// a bare node:http server that answers every request at once, and a Map-backed key-value server
// (the cost of HTTP plus an in-memory store, nothing distributed, nothing durable). Each answers
// GET /__cpu with the CPU seconds it has used, so a benchmark can report CPU per request.
import { spawn, type ChildProcess } from 'node:child_process';

const SERVERS = {
  bare: `
    const http = require('node:http');
    const srv = http.createServer((req, res) => {
      if (req.url === '/__cpu') { const u = process.cpuUsage(); res.end(String((u.user + u.system) / 1e6)); return; }
      req.resume();
      req.on('end', () => {
        if (req.method === 'PUT') { res.statusCode = 204; res.end(); }
        else { res.setHeader('content-type', 'application/octet-stream'); res.end('x'.repeat(100)); }
      });
    });
    srv.keepAliveTimeout = 65000;
    srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));
  `,
  map: `
    const http = require('node:http');
    const store = new Map();
    const srv = http.createServer((req, res) => {
      if (req.url === '/__cpu') { const u = process.cpuUsage(); res.end(String((u.user + u.system) / 1e6)); return; }
      const key = req.url.slice(4);
      if (req.method === 'PUT') {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => { store.set(key, Buffer.concat(chunks)); res.statusCode = 204; res.end(); });
      } else {
        req.resume();
        const v = store.get(key);
        if (!v) { res.statusCode = 404; res.end(); return; }
        res.setHeader('content-type', 'application/octet-stream');
        res.end(v);
      }
    });
    srv.keepAliveTimeout = 65000;
    srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));
  `,
} as const;

export type CeilingKind = keyof typeof SERVERS;
export const CEILING_KINDS = Object.keys(SERVERS) as CeilingKind[];

export interface CeilingServer {
  kind: CeilingKind;
  url: string;
  stop(): Promise<void>;
}

export function startCeiling(kind: CeilingKind): Promise<CeilingServer> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['-e', SERVERS[kind]], { stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${kind} server did not start`)); }, 10_000);
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) => {
      clearTimeout(timer);
      const port = Number(d.toString().trim());
      resolve({
        kind,
        url: `http://127.0.0.1:${port}`,
        stop: () => new Promise((r) => {
          child.once('exit', () => r());
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

/** Fetches a URL, with the target's token when `authorized` (ringkv nodes: /metrics needs role read). */
export type ProbeFetch = (url: string, authorized: boolean) => Promise<Response>;

/** CPU seconds a target's processes have used so far: ceilings answer /__cpu, ringkv nodes /metrics. */
export async function cpuSeconds(urls: string[], ceiling: boolean, probe: ProbeFetch = (url) => fetch(url)): Promise<number | undefined> {
  try {
    let total = 0;
    for (const url of urls) {
      const res = await probe(`${url}${ceiling ? '/__cpu' : '/metrics'}`, !ceiling);
      if (!res.ok) return undefined;
      const text = await res.text();
      const m = ceiling ? /^([\d.]+)$/.exec(text.trim()) : /^ringkv_process_process_cpu_seconds_total(?:\{[^}]*\})? ([\d.e+-]+)$/m.exec(text);
      if (!m) return undefined;
      total += Number(m[1]);
    }
    return total;
  } catch {
    return undefined;
  }
}
