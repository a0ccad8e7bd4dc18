// Drives one handshake state machine (dialer or acceptor) over a socket until it ends in exactly
// one outcome: established, refused (by either side), a duplicate connection, failed (connect
// error, timeout, closed early), or abandoned by the transport. The deadline uses the injected
// clock, so tests can control it. No callback here throws: a frame that fails in any way refuses
// the handshake with a protocol error.
import type WebSocket from 'ws';
import type { Clock } from '../clock.js';
import { CloseCode, FrameDecodeError } from './frame-codec.js';
import type { HandshakeStep, RemoteIdentity } from './handshake.js';

export type SocketStep =
  | { kind: 'established'; peer: RemoteIdentity }
  | { kind: 'refused'; reason: string; byPeer: boolean }
  | { kind: 'duplicate'; reason: string }
  | { kind: 'failed'; reason: string }
  | { kind: 'abandoned' };

/** WebSocket close reasons are limited to 123 bytes. */
function closeReason(reason: string): string {
  return Buffer.byteLength(reason) <= 120 ? reason : Buffer.from(reason).subarray(0, 120).toString();
}

export function openSocket(
  ws: WebSocket,
  clock: Clock,
  timeoutMs: number,
  onFrame: (frame: Buffer) => HandshakeStep,
  done: (outcome: SocketStep) => void,
): { abandon(reason: string): void } {
  let settled = false;
  let lastError: Error | undefined;

  const finish = (outcome: SocketStep): void => {
    if (settled) return;
    settled = true;
    timer.cancel();
    ws.off('message', onMessage);
    ws.off('close', onClose);
    ws.off('error', onError);
    done(outcome);
  };

  const refuse = (code: number, reason: string): void => {
    ws.close(code, closeReason(reason));
    finish(code === CloseCode.Duplicate ? { kind: 'duplicate', reason } : { kind: 'refused', reason, byPeer: false });
  };

  const onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (settled) return;
    if (!isBinary || !Buffer.isBuffer(data)) {
      refuse(CloseCode.ProtocolError, 'protocol error: text frame during the handshake');
      return;
    }
    let step: HandshakeStep;
    try {
      step = onFrame(data);
    } catch (err) {
      const why = err instanceof FrameDecodeError ? err.message : `unexpected ${(err as Error)?.name ?? 'error'}: ${(err as Error)?.message ?? String(err)}`;
      refuse(CloseCode.ProtocolError, `protocol error: ${why}`);
      return;
    }
    if (step.kind === 'refuse') refuse(step.code ?? CloseCode.HandshakeRefused, step.reason);
    else if (step.kind === 'established') finish({ kind: 'established', peer: step.peer });
  };

  const onClose = (code: number, reasonBuf: Buffer): void => {
    const reason = reasonBuf.toString('utf8', 0, 123);
    if (code === CloseCode.HandshakeRefused || code === CloseCode.ProtocolError) {
      finish({ kind: 'refused', reason: reason || `closed with code ${code}`, byPeer: true });
    } else if (code === CloseCode.Duplicate) {
      finish({ kind: 'duplicate', reason });
    } else {
      const why = lastError?.message ?? `closed with code ${code}${reason ? `: ${reason}` : ''}`;
      finish({ kind: 'failed', reason: `connection failed during the handshake: ${why}` });
    }
  };

  const onError = (err: Error): void => {
    lastError = err;
  };

  const timer = clock.setTimer(timeoutMs, () => {
    ws.terminate();
    finish({ kind: 'failed', reason: `no handshake within ${timeoutMs} ms` });
  });
  ws.on('message', onMessage);
  ws.on('close', onClose);
  ws.on('error', onError);

  return {
    abandon(reason: string): void {
      if (settled) return;
      ws.close(CloseCode.Duplicate, closeReason(reason));
      finish({ kind: 'abandoned' });
    },
  };
}
