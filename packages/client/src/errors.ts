// Errors the client raises. A server error carries the server's code, its HTTP status, the
// required/acked counts of a quorum failure and the endpoint that answered. Codes are stable and
// checked by `isRingkvClientError` + `code`, which works across two copies of this package
// (`instanceof` does not).

const kClientError = Symbol.for('ringkv.client.error');

/** What a client error may carry besides its code and message. */
export interface ClientErrorExtra {
  /** HTTP status of the answer (server errors only). */
  status?: number;
  /** Base URL of the node that answered, or that could not be reached. */
  endpoint?: string;
  /** Replicas the request needed (quorum and timeout errors). */
  required?: number;
  /** Replicas that acknowledged before the request failed. */
  acked?: number;
  /** Whether retrying the same request elsewhere or later may succeed. */
  retryable?: boolean;
  /** How many attempts the call made before giving up (set on the error the call throws). */
  attempts?: number;
  /** The full `error` object of the server's JSON body. */
  details?: Record<string, unknown>;
  /** The underlying error (a network error from fetch, the abort reason). */
  cause?: unknown;
}

/** Base class of every error `@ringkv/client` throws. */
export class RingkvClientError extends Error {
  /** @internal Brand that `isRingkvClientError` checks. */
  readonly [kClientError] = true;
  constructor(
    /** Stable code: a server code (`QUORUM_UNAVAILABLE`, ...) or a client code (see CLIENT_ERROR_CODES, error-codes.ts). */
    readonly code: string,
    message: string,
    /** Everything the error carries besides code and message; the getters below read it. */
    readonly extra: ClientErrorExtra = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = new.target.name;
  }
  /** HTTP status of the answer, when there was one. */
  get status(): number | undefined { return this.extra.status; }
  /** The node that answered (or could not be reached). */
  get endpoint(): string | undefined { return this.extra.endpoint; }
  /** Replicas the request needed. */
  get required(): number | undefined { return this.extra.required; }
  /** Replicas that acknowledged. */
  get acked(): number | undefined { return this.extra.acked; }
  /** Whether the condition is transient. The client already retried when that was safe. */
  get retryable(): boolean { return this.extra.retryable ?? false; }
  /** Attempts made by the call that threw this error. */
  get attempts(): number | undefined { return this.extra.attempts; }
  /** The server's error object (`{code, message, ...details}`), when it sent one. */
  get details(): Record<string, unknown> | undefined { return this.extra.details; }
}

/** True for any error thrown by `@ringkv/client`, even from another copy of the package. */
export function isRingkvClientError(err: unknown): err is RingkvClientError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[kClientError] === true;
}

/** The server answered with an error status. `code` is the server's code, e.g. `QUORUM_UNAVAILABLE`. */
export class ServerError extends RingkvClientError {
  /** Seconds from the `Retry-After` header (load shedding, draining), when present. */
  get retryAfterSeconds(): number | undefined {
    const v = this.details?.retryAfterS;
    return typeof v === 'number' ? v : undefined;
  }
}

/** 503 `QUORUM_UNAVAILABLE`: fewer replicas answered than R or W needed. See `required` and `acked`. */
export class QuorumUnavailableError extends ServerError {
  /**
   * True when the coordinator refused before writing anything because too few replicas were
   * alive (the body carries `alive`). Only then is a failed write known not to have landed.
   */
  get refusedUpfront(): boolean { return typeof this.details?.alive === 'number'; }
}

/** 504 `TIMEOUT`: the coordinator gave up waiting. A write may still be applied. */
export class ServerTimeoutError extends ServerError {}

/** 503 `OVERLOADED`, `NOT_READY` or `SHUTTING_DOWN`: the node refused before doing anything. */
export class NodeUnavailableError extends ServerError {}

/** 4xx: the request itself is wrong (bad key, parameter, too large); retrying cannot help. */
export class BadRequestError extends ServerError {}

/**
 * 401 `UNAUTHENTICATED` (no token, or one the node does not know: option `token`) or 403
 * `FORBIDDEN` (the token's principal has too low a role for the request). Never retried: every
 * node of a cluster has the same principals. The message never contains the token.
 */
export class AuthError extends BadRequestError {}

/** No endpoint could be reached (refused, reset, DNS failure). */
export class ConnectionError extends RingkvClientError {
  static readonly code = 'CONNECTION_FAILED';

  /**
   * False when the request certainly never reached a node (connection refused, DNS failure),
   * so even a write is safe to send elsewhere; true when it may have been received.
   */
  readonly maybeSent: boolean;
  constructor(message: string, endpoint: string, cause?: unknown, maybeSent = true) {
    super(ConnectionError.code, message, { endpoint, retryable: true, cause });
    this.maybeSent = maybeSent;
  }
}

/** The call did not finish within its timeout (a write may still be applied). */
export class ClientTimeoutError extends RingkvClientError {
  static readonly code = 'CLIENT_TIMEOUT';

  constructor(timeoutMs: number, endpoint: string) {
    super(ClientTimeoutError.code, `no answer from ${endpoint} within ${timeoutMs} ms`, { endpoint, retryable: true });
  }
}

/** The caller aborted the call through its AbortSignal. */
export class AbortedError extends RingkvClientError {
  static readonly code = 'ABORTED';

  constructor(endpoint: string | undefined, cause?: unknown) {
    super(AbortedError.code, 'the call was aborted', { endpoint, cause });
  }
}

/** The caller passed something the API cannot take (an empty key, a bad option). */
export class InvalidArgumentError extends RingkvClientError {
  static readonly code = 'INVALID_ARGUMENT';

  constructor(message: string) {
    super(InvalidArgumentError.code, message);
  }
}


/** Codes of a node that refused a request before acting on it (safe to send elsewhere). */
export const REFUSED_BEFORE_ACTING_CODES: readonly string[] = ['OVERLOADED', 'NOT_READY', 'SHUTTING_DOWN'];

/** Codes of a request refused by authentication (401) or authorization (403). */
export const AUTH_ERROR_CODES: readonly string[] = ['UNAUTHENTICATED', 'FORBIDDEN'];

/** Builds the error class that fits a server error code and status. */
export function serverErrorFor(code: string, message: string, extra: ClientErrorExtra & { status: number }): ServerError {
  if (AUTH_ERROR_CODES.includes(code)) return new AuthError(code, message, { ...extra, retryable: false });
  if (code === 'QUORUM_UNAVAILABLE') return new QuorumUnavailableError(code, message, { ...extra, retryable: true });
  if (code === 'TIMEOUT') return new ServerTimeoutError(code, message, { ...extra, retryable: true });
  if (REFUSED_BEFORE_ACTING_CODES.includes(code)) return new NodeUnavailableError(code, message, { ...extra, retryable: true });
  if (extra.status >= 400 && extra.status < 500) return new BadRequestError(code, message, { ...extra, retryable: false });
  return new ServerError(code, message, { ...extra, retryable: extra.status === 503 || extra.status === 504 });
}
