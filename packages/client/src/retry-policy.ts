// When a failed attempt may be sent again, and how long to wait first. Pure functions.
//
// Reads are safe to repeat. Writes are not, under last-write-wins: a repeated PUT gets a newer
// timestamp than the first, so if the first was applied after all and another client wrote the
// key in between, the repeat silently undoes that client's acknowledged write. A write is
// therefore repeated only when it certainly did nothing (refused before sending, or refused by a
// node before acting), unless the caller declares it idempotent.
import {
  AbortedError, BadRequestError, ClientTimeoutError, ConnectionError, InvalidArgumentError,
  NodeUnavailableError, QuorumUnavailableError, ServerError,
} from './errors.js';

/** Reads (GET) may always be repeated; writes (PUT, DELETE) only when safe. */
export type OperationKind = 'read' | 'write';

/** True when `err` leaves the request certainly unapplied, so that even a write may be sent again. */
export function certainlyNotApplied(err: unknown): boolean {
  if (err instanceof ConnectionError) return !err.maybeSent;
  if (err instanceof NodeUnavailableError) return true;
  if (err instanceof QuorumUnavailableError) return err.refusedUpfront;
  return false;
}

/** Whether an attempt that failed with `err` may be retried. */
export function shouldRetry(kind: OperationKind, err: unknown, idempotent: boolean): boolean {
  if (err instanceof AbortedError || err instanceof InvalidArgumentError || err instanceof BadRequestError) return false;
  if (certainlyNotApplied(err)) return true;
  const transient = err instanceof ConnectionError || err instanceof ClientTimeoutError
    || (err instanceof ServerError && (err.status ?? 0) >= 500);
  if (!transient) return false;
  return kind === 'read' || idempotent;
}

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
 * a uniform delay in [0, min(maxMs, baseMs * 2^retry)). Full jitter spreads the retries of many
 * clients that failed together, so they do not hit the surviving nodes in waves.
 */
export function backoffDelayMs(retry: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(retry, 30));
  return Math.floor(random() * ceiling);
}

/** How long to keep a node out of rotation after a failure, in ms (doubling per failure in a row). */
export function coolDownMs(err: unknown, failuresInRow: number): number {
  if (err instanceof ServerError && err.retryAfterSeconds !== undefined) return err.retryAfterSeconds * 1000;
  return Math.min(30_000, 500 * 2 ** Math.min(Math.max(failuresInRow - 1, 0), 6));
}

/** Whether a failure says the node itself is unusable for now (as opposed to the request). */
export function isNodeFailure(err: unknown): boolean {
  return err instanceof ConnectionError || err instanceof ClientTimeoutError || err instanceof NodeUnavailableError;
}
