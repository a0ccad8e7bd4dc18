// A raw client of a node's peer port for the wire fuzz suite: a WebSocket that sends whatever it
// is given (binary or text, well-formed or not), keeps every frame the node sends back, and tells
// how and by whom the connection was closed. Waits have deadlines; nothing sleeps.
import WebSocket from 'ws';
import { DialerHandshake, type LocalIdentity } from '../../packages/server/src/peer/handshake.js';

export interface Closed {
  code: number;
  reason: string;
  /** The node closed it (or the connection broke), not this client. */
  byPeer: boolean;
}

export class RawPeerSocket {
  private readonly inbox: Buffer[] = [];
  private waiter?: () => void;
  private closedInfo?: Closed;
  private closingOurselves = false;
  private readonly closedPromise: Promise<Closed>;
  /** Text frames received (the node never sends any). */
  texts = 0;
  /** Socket errors seen (a write after the node reset the connection, say). */
  errors: string[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (!isBinary) this.texts++;
      else this.inbox.push(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]));
      this.wake();
    });
    ws.on('error', (err) => { this.errors.push(err.message); });
    this.closedPromise = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.closedInfo = { code, reason: reason.toString('utf8'), byPeer: !this.closingOurselves };
        this.wake();
        resolve(this.closedInfo);
      });
    });
  }

  /** Connects to ws://address/ (rejects if no WebSocket comes up). */
  static open(address: string, timeoutMs = 5_000): Promise<RawPeerSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${address}/`, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024, handshakeTimeout: timeoutMs });
      const sock = new RawPeerSocket(ws);
      ws.once('open', () => resolve(sock));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`peer port answered HTTP ${res.statusCode} to the upgrade`)));
      ws.once('close', () => reject(new Error(`closed before open: ${sock.errors.join('; ')}`)));
    });
  }

  /** Frames received and not read yet (taken out). */
  drain(): Buffer[] {
    return this.inbox.splice(0);
  }

  get closed(): Closed | undefined {
    return this.closedInfo;
  }

  /** Sends one frame; resolves once written (or the write failed: the close tells the rest). */
  send(data: Buffer | string): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.send(data, { binary: typeof data !== 'string' }, (err) => {
        if (err) this.errors.push(err.message);
        resolve();
      });
    });
  }

  /** The next frame the node sent, or 'closed'; throws past the deadline. */
  async next(timeoutMs: number): Promise<Buffer | 'closed'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.inbox.shift();
      if (f) return f;
      if (this.closedInfo) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame from the node within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** How the connection ended; throws if it is still open at the deadline. */
  async closedWithin(timeoutMs: number): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_r, reject) => {
      timer = setTimeout(() => reject(new Error(`the node did not close the connection within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closedPromise, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes from this side (a no-op if closed already) and waits until the socket is gone. */
  async close(): Promise<void> {
    if (!this.closedInfo) {
      this.closingOurselves = true;
      this.ws.close(1000);
      try {
        await this.closedWithin(3_000);
      } catch {
        this.ws.terminate();
        await this.closedPromise;
      }
    }
  }

  private wake(): void {
    this.waiter?.();
  }
}

/** Runs the dialer side of the real handshake (with the secret) over `sock`; throws if refused. */
export async function handshake(sock: RawPeerSocket, self: LocalIdentity, expectedId: string, timeoutMs = 5_000): Promise<void> {
  const hs = new DialerHandshake(self, (frame) => { void sock.send(frame); }, expectedId);
  hs.start();
  for (;;) {
    const frame = await sock.next(timeoutMs);
    if (frame === 'closed') throw new Error(`handshake: the node closed the connection (${sock.closed?.code} ${sock.closed?.reason})`);
    const step = hs.onFrame(frame);
    if (step.kind === 'established') return;
    if (step.kind === 'refuse') throw new Error(`handshake refused: ${step.reason}`);
  }
}
