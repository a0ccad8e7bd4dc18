// A fake ringkv node on a loopback port for client tests: answers each request with a scripted
// reply and records what it received. Optionally serves HTTPS, and refuses requests without the
// right bearer token as a node with --auth-file does. Also a port that refuses connections.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';

export interface Received {
  method: string;
  url: string;
  body: string;
  /** The Authorization header, when one was sent (left out otherwise). */
  authorization?: string;
}

export interface FakeNodeOptions {
  /** Serve HTTPS with this PEM certificate and key. */
  tls?: { cert: string; key: string };
}

/** A scripted reply: status, JSON or raw body, headers; or 'hang' (never answer) or 'reset'. */
export type Reply =
  | { status: number; json?: unknown; body?: string | Uint8Array; headers?: Record<string, string> }
  | 'hang'
  | 'reset';

export type Handler = (req: Received) => Reply;

export class FakeNode {
  readonly received: Received[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();
  private handler: Handler = () => ({ status: 204 });
  private token?: string;
  port = 0;

  constructor(private readonly options: FakeNodeOptions = {}) {
    const serve = (req: IncomingMessage, res: ServerResponse) => void this.serve(req, res);
    this.server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, serve) : http.createServer(serve);
    // TLS sockets come through 'secureConnection'; 'connection' sees the raw TCP socket of both.
    this.server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  get url(): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /**
   * From now on, answer like a node with --auth-file: a request without `Authorization: Bearer
   * <token>` gets 401 UNAUTHENTICATED with WWW-Authenticate (recorded all the same).
   */
  requireToken(token: string): this {
    this.token = token;
    return this;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** Sets how every following request is answered. */
  reply(handler: Handler | Reply): this {
    this.handler = typeof handler === 'function' ? handler : () => handler;
    return this;
  }

  /** Answers the next requests with `replies` in order, then with the last one. */
  replySequence(...replies: Reply[]): this {
    let i = 0;
    this.handler = () => replies[Math.min(i++, replies.length - 1)];
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rec: Received = { method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') };
    if (req.headers.authorization !== undefined) rec.authorization = req.headers.authorization;
    this.received.push(rec);
    const unauthenticated = this.token !== undefined && rec.authorization !== `Bearer ${this.token}`;
    const reply = unauthenticated
      ? errorReply(401, 'UNAUTHENTICATED', { message: 'this node requires a token' }, { 'www-authenticate': 'Bearer realm="ringkv"' })
      : this.handler(rec);
    if (reply === 'hang') return;
    if (reply === 'reset') {
      req.socket.destroy();
      return;
    }
    const body = reply.json !== undefined ? JSON.stringify(reply.json) : reply.body;
    res.writeHead(reply.status, { ...(reply.json !== undefined ? { 'content-type': 'application/json' } : {}), ...reply.headers });
    res.end(body);
  }
}

export async function fakeNodes(n: number, options: FakeNodeOptions = {}): Promise<FakeNode[]> {
  return Promise.all(Array.from({ length: n }, () => new FakeNode(options).start()));
}

/** A loopback URL on which nothing listens (connections are refused). */
export async function refusingEndpoint(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** The server's error body. */
export function errorReply(status: number, code: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Reply {
  return { status, json: { error: { code, message: code.toLowerCase(), ...extra } }, headers };
}

/** A sleep that does not wait, recording each requested delay. */
export function recordingSleep(): { sleep: (ms: number, signal?: AbortSignal) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    sleep: (ms, signal) => {
      delays.push(ms);
      return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve();
    },
  };
}
