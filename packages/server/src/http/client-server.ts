// The client port's server: HTTP, or HTTPS with --tls-cert/--tls-key (re-read on SIGHUP), and
// bounds on what connections may cost (issue 15):
// - at most maxConnections open: past it the longest-idle connection (no request in flight) is
//   closed to make room, so a flood of silent sockets never locks a real client out; with none
//   idle, the new one is refused;
// - a connection that sends nothing for idleTimeoutMs is closed, and one that takes longer than
//   headersTimeoutMs to send its headers (slowloris);
// - a connection that stops reading is destroyed: at once when more than maxUnsentBytes of
//   responses wait for it in the process, and when its responses made no progress for
//   idleTimeoutMs (the kernel's buffers are full; Node stops serving its pipelined requests,
//   so it would hold its slot for ever). Checked each second and whenever it asks for more.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../errors.js';
import type { Logger } from '../observability/logger.js';

export type ClosedReason = 'evicted' | 'refused' | 'idle' | 'slow_reader';

export interface ClientServerOptions {
  tls?: { certFile: string; keyFile: string };
  /** Told of each connection the server closes on its own, by reason (metrics). */
  onClosed?: (reason: ClosedReason) => void;
  maxConnections: number;
  idleTimeoutMs: number;
  headersTimeoutMs: number;
  maxUnsentBytes: number;
  log: Logger;
}

interface ConnState {
  requests: number;
  lastActiveMs: number;
  bytes: number;
  /** bytesWritten when a response last made progress, and when. */
  written: number;
  lastWriteMs: number;
}

/** How often expired headers and idle sockets are looked for, and slow readers. */
const CHECK_EVERY_MS = 1000;

export class ClientServer {
  readonly server: http.Server;
  private readonly conns = new Map<Socket, ConnState>();
  private readonly sweep: NodeJS.Timeout;

  constructor(handler: http.RequestListener, private readonly opts: ClientServerOptions) {
    const common: http.ServerOptions = {
      keepAliveTimeout: Math.min(65_000, opts.idleTimeoutMs),
      headersTimeout: opts.headersTimeoutMs,
      requestTimeout: Math.max(60_000, opts.headersTimeoutMs),
      connectionsCheckingInterval: CHECK_EVERY_MS,
    };
    this.server = opts.tls
      ? https.createServer({ ...common, ...readTls(opts.tls), handshakeTimeout: opts.headersTimeoutMs }, handler)
      : http.createServer(common, handler);
    // Inactivity (no bytes either way, no request in flight) is found by the sweep: Node's own
    // socket timeout stops firing for sockets that never sent a byte once headersTimeout is below it.
    // Over TLS a request's socket is the TLS socket: that is the one counted (a TLS handshake
    // itself is bounded by handshakeTimeout).
    this.server.on(opts.tls ? 'secureConnection' : 'connection', (socket: Socket) => this.admit(socket));
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.track(req.socket, res));
    this.sweep = setInterval(() => this.check(), CHECK_EVERY_MS);
    this.sweep.unref();
  }

  get protocol(): 'http' | 'https' {
    return this.opts.tls ? 'https' : 'http';
  }

  get connections(): number {
    return this.conns.size;
  }

  get address(): string {
    const a = this.server.address() as AddressInfo | null;
    if (!a) throw new Error('node is not listening');
    return `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.server.off('listening', onListening);
        reject(err.code === 'EADDRINUSE' ? new Error(`address ${host}:${port} is already in use`) : err);
      };
      const onListening = () => {
        this.server.off('error', onError);
        resolve();
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen(port, host);
    });
  }

  /** Re-reads the certificate and key (SIGHUP); throws (keeping the current ones) if they do not load. */
  reloadTls(): boolean {
    if (!this.opts.tls) return false;
    (this.server as https.Server).setSecureContext(readTls(this.opts.tls));
    return true;
  }

  close(): void {
    clearInterval(this.sweep);
  }

  private admit(socket: Socket): void {
    if (this.conns.size >= this.opts.maxConnections && !this.evictIdle()) {
      this.opts.onClosed?.('refused');
      socket.destroy();
      return;
    }
    const now = Date.now();
    this.conns.set(socket, { requests: 0, lastActiveMs: now, bytes: 0, written: 0, lastWriteMs: now });
    socket.once('close', () => this.conns.delete(socket));
  }

  /** Closes the connection idle longest; false when every connection has a request in flight. */
  private evictIdle(): boolean {
    let oldest: Socket | undefined;
    let oldestMs = Infinity;
    for (const [s, st] of this.conns) {
      if (st.requests === 0 && st.lastActiveMs < oldestMs) {
        oldest = s;
        oldestMs = st.lastActiveMs;
      }
    }
    if (!oldest) return false;
    this.opts.onClosed?.('evicted');
    this.conns.delete(oldest);
    oldest.destroy();
    return true;
  }

  private track(socket: Socket, res: http.ServerResponse): void {
    const st = this.conns.get(socket);
    if (!st) return;
    if (socket.writableLength > this.opts.maxUnsentBytes) {
      this.slowReader(socket);
      return;
    }
    st.requests++;
    st.lastActiveMs = Date.now();
    res.once('close', () => {
      st.requests--;
      st.lastActiveMs = Date.now();
    });
  }

  /** Each second: slow readers are destroyed, and connections idle for idleTimeoutMs closed. */
  private check(): void {
    const now = Date.now();
    for (const [socket, st] of this.conns) {
      if (socket.writableLength > this.opts.maxUnsentBytes) {
        this.slowReader(socket);
        continue;
      }
      if (socket.bytesWritten !== st.written || socket.writableLength === 0) {
        st.written = socket.bytesWritten;
        st.lastWriteMs = now;
      } else if (now - st.lastWriteMs >= this.opts.idleTimeoutMs) {
        this.slowReader(socket);
        continue;
      }
      const bytes = socket.bytesRead + socket.bytesWritten;
      if (bytes !== st.bytes || st.requests > 0) {
        st.bytes = bytes;
        st.lastActiveMs = now;
      } else if (now - st.lastActiveMs >= this.opts.idleTimeoutMs) {
        this.conns.delete(socket);
        this.opts.onClosed?.('idle');
        socket.destroy();
      }
    }
  }

  private slowReader(socket: Socket): void {
    this.opts.onClosed?.('slow_reader');
    this.opts.log.warn({ remote: socket.remoteAddress, unsentBytes: socket.writableLength }, 'client stopped reading its responses: closing the connection');
    this.conns.delete(socket);
    socket.destroy();
  }
}

function readTls(tls: { certFile: string; keyFile: string }): { cert: Buffer; key: Buffer } {
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(`cannot read the ${what} ${file}: ${(err as Error).message}`, { option: what === 'certificate' ? 'tlsCert' : 'tlsKey' });
    }
  };
  return { cert: read(tls.certFile, 'certificate'), key: read(tls.keyFile, 'key') };
}
