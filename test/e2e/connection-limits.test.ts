// The client port's bounds under floods (issue 15), on a real process with small limits: an idle
// flood past the connection cap, slowloris, a client that stops reading, and a stalled event
// loop. Throughout, a fresh request is answered (or, for the stall, /kv is shed fast with
// Retry-After while /health answers).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { pollUntil } from '../support/poll.js';
import { makeNode, stopAll, tempDir, type NodeProcess } from '../support/processes.js';

let node: NodeProcess;
let releaseFile: string;
const sockets: net.Socket[] = [];

beforeAll(async () => {
  // A planted stall for the last test: SIGUSR2 blocks the event loop for at least 1 s (4 times the
  // shedding threshold) and until the test has sent its requests and made the release file (at most
  // 15 s), so the requests surely arrive while the loop is blocked, however slow the machine.
  const dir = tempDir('ringkv-hook-');
  const hook = path.join(dir, 'stall.mjs');
  releaseFile = path.join(dir, 'release');
  writeFileSync(hook, `import { existsSync } from 'node:fs';
process.on('SIGUSR2', () => {
  process.stderr.write('planted stall begins\\n');
  const start = Date.now();
  while (Date.now() < start + 15000 && (Date.now() < start + 1000 || !existsSync(${JSON.stringify(releaseFile)})));
});
`);
  node = await makeNode({
    id: 'n1',
    env: {
      NODE_OPTIONS: `--import=${hook}`,
      RINGKV_MAX_CLIENT_CONNECTIONS: '20', RINGKV_CLIENT_IDLE_TIMEOUT_MS: '3000', RINGKV_HEADERS_TIMEOUT_MS: '1500',
      RINGKV_MAX_UNSENT_BYTES_PER_CONNECTION: String(256 * 1024), RINGKV_MAX_VALUE_BYTES: String(1024 * 1024),
    },
  });
  node.start();
  await node.waitReady();
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await stopAll();
});

/** A raw connection; it reads (and drops) what comes, so it sees the node close it. */
function open(reading = true): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(node.opts.httpPort, '127.0.0.1', () => resolve(s));
    if (reading) s.resume();
    s.on('error', () => undefined);
    s.once('error', reject);
    sockets.push(s);
  });
}

/** The node's count of connections it closed for `reason`. */
async function closedBy(reason: string): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: node.opts.httpPort, path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve(body));
    }).once('error', reject);
  });
  const m = new RegExp(`ringkv_http_connections_closed_total\\{reason="${reason}"[^}]*\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

const closed = (s: net.Socket) => s.destroyed || s.readyState === 'closed';

/** A request on a connection of its own (a pooled one may be one the node just closed as idle). */
function fresh(): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: node.opts.httpPort, path: '/health', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).once('error', reject);
  });
}

describe('bounded client connections', () => {
  test('an idle flood past the cap: the longest-idle are closed to make room, a fresh request works, and the rest time out', async () => {
    const flood = await Promise.all(Array.from({ length: 60 }, () => open().catch(() => undefined)));
    expect(await fresh()).toBe(200);
    await pollUntil('the flood to be trimmed to the cap', () => flood.filter((s) => s && !closed(s)).length <= 20, { timeoutMs: 10_000 });
    await pollUntil('idle sockets to time out', () => flood.every((s) => !s || closed(s)), { timeoutMs: 15_000 });
    expect(await fresh()).toBe(200);
    expect(await closedBy('evicted')).toBeGreaterThanOrEqual(40);
  }, 40_000);

  test('slowloris: a client sending its headers a byte at a time is closed; others are served meanwhile', async () => {
    const s = await open();
    const partial = 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ';
    s.write(partial);
    const drip = setInterval(() => { if (!closed(s)) s.write('a'); }, 200);
    try {
      expect(await fresh()).toBe(200);
      await pollUntil('the slow client to be closed', () => closed(s), { timeoutMs: 10_000 });
    } finally {
      clearInterval(drip);
    }
  }, 20_000);

  test('a client that stops reading is destroyed once its unsent responses pass the bound', async () => {
    const big = new Uint8Array(512 * 1024).fill(7);
    expect((await fetch(`${node.url}/kv/big`, { method: 'PUT', body: big })).status).toBe(204);
    const s = await open(false); // never reads
    const req = 'GET /kv/big HTTP/1.1\r\nHost: x\r\n\r\n';
    s.write(req.repeat(40));
    await pollUntil('the slow reader to be destroyed', async () => (await closedBy('slow_reader')) > 0, { timeoutMs: 15_000 });
    expect(await fresh()).toBe(200);
  }, 30_000);

  test('a stalled event loop: /kv requests are shed with 503 OVERLOADED and Retry-After, /health still answers', async () => {
    expect((await fetch(`${node.url}/kv/stall-key`, { method: 'PUT', body: 'v' })).status).toBe(204);
    // Connections made before the stall; their requests are written while the loop is blocked.
    const [kvSocket, healthSocket] = await Promise.all([open(false), open(false)]);
    const seen = node.output.split('planted stall begins').length;
    node.child!.kill('SIGUSR2');
    await pollUntil('the stall to begin', () => node.output.split('planted stall begins').length > seen);
    const kv = sendOn(kvSocket, '/kv/stall-key');
    const health = sendOn(healthSocket, '/health');
    await Promise.all([kv.sent, health.sent]);
    writeFileSync(releaseFile, ''); // the requests are in the node's socket buffers: end the stall
    try {
      const [kvRes, healthRes] = await Promise.all([kv.response, health.response]);
      expect(healthRes.status).toBe(200);
      expect(kvRes.status).toBe(503);
      expect(kvRes.retryAfter).toBe('1');
      expect((JSON.parse(kvRes.body) as { error: { code: string } }).error.code).toBe('OVERLOADED');
    } finally {
      rmSync(releaseFile, { force: true });
    }
    await pollUntil('reads to be served again', async () => (await fetch(`${node.url}/kv/stall-key`)).status === 200);
  }, 30_000);
});

/**
 * A GET on an open connection: `sent` resolves once the request is written to the socket (on
 * loopback, in the node's receive buffer), `response` once it is answered.
 */
function sendOn(socket: net.Socket, urlPath: string): { sent: Promise<void>; response: Promise<{ status: number; retryAfter?: string; body: string }> } {
  let sent!: () => void;
  const sentP = new Promise<void>((resolve) => { sent = resolve; });
  const response = new Promise<{ status: number; retryAfter?: string; body: string }>((resolve, reject) => {
    const req = http.request({ path: urlPath, headers: { host: 'x' }, createConnection: () => socket }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, body }));
    });
    req.once('error', reject);
    req.end(() => sent());
  });
  return { sent: sentP, response };
}
