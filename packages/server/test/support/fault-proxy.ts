// An in-process TCP proxy for end-to-end tests of slowness and partitions (tc netem is not
// available here). Put it in front of a peer port and dial the proxy instead:
//
//   const p = await FaultProxy.start({ target: '127.0.0.1:4000' });
//   p.address;          // '127.0.0.1:<port>' to dial
//   p.setDelayMs(200);  // every chunk, both directions, arrives 200 ms later (order kept)
//   p.blackhole(true);  // nothing passes and nothing is read (senders back up, as in a partition),
//                       // not even a close; blackhole(false) delivers what was held, as TCP would
//                       // after a heal, and passes on closes
//   p.cutAll();         // resets every current connection
//   await p.close();
import net from 'node:net';

interface Direction {
  src: net.Socket;
  dst: net.Socket;
  queue: { dueMs: number; chunk: Buffer }[];
  timer?: NodeJS.Timeout;
  waitingDrain: boolean;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  dirs: Direction[];
  /** One side closed during a blackhole: the other side learns it only after the heal. */
  closePending: boolean;
}

export interface FaultProxyOptions {
  /** HOST:PORT to forward to. */
  target: string;
  /** Listen host (default 127.0.0.1). */
  host?: string;
}

export class FaultProxy {
  private readonly pairs = new Set<Pair>();
  private delayMs = 0;
  private holding = false;
  private refusing = false;
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(private readonly server: net.Server, private readonly targetHost: string, private readonly targetPort: number) {
    server.on('connection', (client) => this.onConnection(client));
  }

  static async start(opts: FaultProxyOptions): Promise<FaultProxy> {
    const i = opts.target.lastIndexOf(':');
    const server = net.createServer();
    const proxy = new FaultProxy(server, opts.target.slice(0, i).replace(/^\[|\]$/g, ''), Number(opts.target.slice(i + 1)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, opts.host ?? '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** HOST:PORT of the proxy. */
  get address(): string {
    const a = this.server.address() as net.AddressInfo;
    return `${a.address}:${a.port}`;
  }

  /** Open connection pairs right now. */
  get connectionCount(): number {
    return this.pairs.size;
  }

  setDelayMs(delayMs: number): void {
    this.delayMs = delayMs;
  }

  /** While on, no byte passes in either direction and nothing is read from either side. */
  blackhole(on: boolean): void {
    this.holding = on;
    if (!on) for (const p of [...this.pairs]) if (p.closePending) this.drop(p);
    for (const p of this.pairs) for (const d of p.dirs) {
      if (on) d.src.pause();
      else {
        if (!d.waitingDrain) d.src.resume();
        this.pump(d);
      }
    }
  }

  /** While on, new connections are closed as soon as they are accepted. */
  refuse(on: boolean): void {
    this.refusing = on;
  }

  /** Resets every current connection (both sides see it end abruptly). */
  cutAll(): void {
    for (const p of [...this.pairs]) this.drop(p);
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(client: net.Socket): void {
    this.accepted++;
    if (this.refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    const pair: Pair = { client, upstream, dirs: [], closePending: false };
    pair.dirs = [this.direction(client, upstream), this.direction(upstream, client)];
    this.pairs.add(pair);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.on('close', () => {
        if (this.holding) pair.closePending = true;
        else this.drop(pair);
      });
    }
    if (this.holding) for (const d of pair.dirs) d.src.pause();
  }

  private direction(src: net.Socket, dst: net.Socket): Direction {
    const d: Direction = { src, dst, queue: [], waitingDrain: false };
    src.on('data', (chunk: Buffer) => {
      d.queue.push({ dueMs: Date.now() + this.delayMs, chunk });
      this.pump(d);
    });
    src.on('end', () => {
      d.queue.push({ dueMs: Date.now() + this.delayMs, chunk: Buffer.alloc(0) }); // empty chunk marks the end
      this.pump(d);
    });
    return d;
  }

  /** Writes every due chunk in order; arms a timer for the next one. */
  private pump(d: Direction): void {
    if (d.timer) clearTimeout(d.timer);
    d.timer = undefined;
    while (!this.holding && d.queue.length > 0 && !d.dst.destroyed) {
      const head = d.queue[0]!;
      const waitMs = head.dueMs - Date.now();
      if (waitMs > 0) {
        d.timer = setTimeout(() => this.pump(d), waitMs);
        return;
      }
      d.queue.shift();
      if (head.chunk.length === 0) {
        d.dst.end();
        continue;
      }
      if (!d.dst.write(head.chunk) && !d.waitingDrain) {
        d.waitingDrain = true;
        d.src.pause();
        d.dst.once('drain', () => {
          d.waitingDrain = false;
          if (!this.holding) d.src.resume();
        });
      }
    }
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    for (const d of pair.dirs) if (d.timer) clearTimeout(d.timer);
    pair.client.resetAndDestroy();
    pair.upstream.resetAndDestroy();
  }
}
