// Runs the request handler so that nothing it does (throw, reject, return garbage) can crash the
// process: every outcome becomes exactly one reply or one error reply.
import { errorReplyOf, isPeerBody, type ErrorReplyBody } from './frame-codec.js';
import { PeerBadReplyError, PeerNoHandlerError } from './peer-errors.js';
import type { PeerBody, PeerHandler, PeerIdentity } from './transport.js';

export type HandlerOutcome = { ok: true; body: PeerBody } | { ok: false; error: ErrorReplyBody };

export function invokeHandler(handler: PeerHandler | undefined, from: PeerIdentity, body: PeerBody, done: (outcome: HandlerOutcome) => void): void {
  if (!handler) {
    done({ ok: false, error: errorReplyOf(new PeerNoHandlerError()) });
    return;
  }
  let finished = false;
  const ok = (reply: unknown): void => {
    if (finished) return;
    finished = true;
    if (isPeerBody(reply)) done({ ok: true, body: reply });
    else done({ ok: false, error: { code: PeerBadReplyError.code, message: 'the handler returned a reply without a numeric type' } });
  };
  const fail = (err: unknown): void => {
    if (finished) return;
    finished = true;
    done({ ok: false, error: errorReplyOf(err) });
  };
  let result: Promise<PeerBody> | PeerBody;
  try {
    result = handler(from, body);
  } catch (err) {
    fail(err);
    return;
  }
  if (result && typeof (result as Promise<PeerBody>).then === 'function') {
    // Promise.resolve adopts any thenable; `done` does not throw, but if it ever did, an
    // unhandled rejection would end the process, so the chain ends in a catch.
    Promise.resolve(result).then(ok, fail).catch(() => undefined);
  } else {
    ok(result);
  }
}
