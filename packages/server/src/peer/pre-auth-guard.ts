// Limits on a connection before it has authenticated: the bytes it may send (a Hello and an Auth
// are under a kilobyte; ws would otherwise buffer a frame of up to maxPayload, megabytes, from
// anyone who can reach the port), and the number of connections handshaking at once.
import type { Duplex } from 'node:stream';

/** Bytes a peer may send after the WebSocket upgrade and before its handshake ends. */
export const PRE_AUTH_BYTES_MAX = 16 * 1024;

/**
 * Counts the bytes arriving on a socket and destroys it past `limit`. Call the returned function
 * once the handshake is over. Attach it in the same turn as the WebSocket takes the socket (the
 * listener only observes: ws reads the same chunks through its own listener).
 */
export function capBytes(socket: Duplex, limit: number): () => void {
  let seen = 0;
  const onData = (chunk: Buffer): void => {
    seen += chunk.length;
    if (seen > limit) socket.destroy();
  };
  socket.on('data', onData);
  return () => socket.off('data', onData);
}

/** Slots for connections in their handshake: take one per socket, release it exactly once. */
export class HandshakeSlots {
  private used = 0;
  /** Connections refused because every slot was taken. */
  refused = 0;

  constructor(private readonly max: number) {}

  get inUse(): number {
    return this.used;
  }

  /** A release function, or undefined when every slot is taken. */
  take(): (() => void) | undefined {
    if (this.used >= this.max) {
      this.refused++;
      return undefined;
    }
    this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used--;
    };
  }
}
