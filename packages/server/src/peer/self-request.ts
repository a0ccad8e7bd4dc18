// A request addressed to this node's own peer address: no socket, the local handler answers on a
// later turn (nextTurn), and the bodies still pass through the wire encoding so the caller sees exactly what
// a remote node would have returned. Same timeout and error semantics as a remote request.
import type { Clock, NextTurn } from '../clock.js';
import { cloneThroughWire } from './frame-codec.js';
import { invokeHandler } from './invoke-handler.js';
import { settle, type PendingRequest } from './peer-connection.js';
import { PeerRemoteError, PeerTimeoutError } from './peer-errors.js';
import type { PeerBody, PeerHandler, PeerIdentity } from './transport.js';

export function requestSelf(
  self: PeerIdentity, handler: PeerHandler | undefined, time: { clock: Clock; nextTurn: NextTurn },
  pending: Set<PendingRequest>, body: PeerBody, timeoutMs: number,
): Promise<PeerBody> {
  let copy: PeerBody;
  try {
    copy = cloneThroughWire(body) as PeerBody;
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise<PeerBody>((resolve, reject) => {
    const req: PendingRequest = { id: 0, address: self.address, resolve, reject, done: false };
    pending.add(req);
    const finish = (err: Error | undefined, reply?: PeerBody): void => {
      pending.delete(req);
      settle(req, err, reply);
    };
    req.timer = time.clock.setTimer(timeoutMs, () => finish(new PeerTimeoutError(self.address, timeoutMs)));
    time.nextTurn(() => {
      if (req.done) return;
      invokeHandler(handler, self, copy, (outcome) => {
        if (outcome.ok) finish(undefined, cloneThroughWire(outcome.body) as PeerBody);
        else finish(new PeerRemoteError(self.address, outcome.error.code, outcome.error.message));
      });
    });
  });
}
