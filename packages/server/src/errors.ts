// Errors the node answers with. Each has a stable code; the HTTP status is chosen only at the edge
// (http/error-response.ts). Codes are listed in docs/errors.md and a test keeps the two in step.
import { RingkvError } from '@ringkv/core';

export class InvalidKeyError extends RingkvError {
  static readonly code = 'INVALID_KEY';

  constructor(message: string) {
    super(InvalidKeyError.code, message);
  }
}

export class InvalidParameterError extends RingkvError {
  static readonly code = 'INVALID_PARAMETER';

  constructor(message: string, details: Record<string, unknown> = {}) {
    super(InvalidParameterError.code, message, { details });
  }
}

export class KeyNotFoundError extends RingkvError {
  static readonly code = 'NOT_FOUND';

  constructor(key: string) {
    super(KeyNotFoundError.code, `key "${key}" not found`);
  }
}

export class RouteNotFoundError extends RingkvError {
  static readonly code = 'NO_SUCH_ROUTE';

  constructor(method: string, path: string) {
    super(RouteNotFoundError.code, `no route for ${method} ${path}`);
  }
}

export class MethodNotAllowedError extends RingkvError {
  static readonly code = 'METHOD_NOT_ALLOWED';

  constructor(method: string, path: string, readonly allow: string[]) {
    super(MethodNotAllowedError.code, `${method} is not allowed on ${path}; allowed: ${allow.join(', ')}`);
  }
}

export class ValueTooLargeError extends RingkvError {
  static readonly code = 'VALUE_TOO_LARGE';

  constructor(limitBytes: number) {
    super(ValueTooLargeError.code, `value exceeds the limit of ${limitBytes} bytes`, { details: { limitBytes } });
  }
}

export class QuorumUnavailableError extends RingkvError {
  static readonly code = 'QUORUM_UNAVAILABLE';

  constructor(op: 'read' | 'write', required: number, acked: number, extra: Record<string, unknown> = {}) {
    super(QuorumUnavailableError.code, `${op} needed ${required} replicas but only ${acked} answered`, {
      retryable: true,
      details: { required, acked, ...extra },
    });
  }
}

export class RequestTimeoutError extends RingkvError {
  static readonly code = 'TIMEOUT';

  constructor(timeoutMs: number, details: Record<string, unknown> = {}) {
    super(RequestTimeoutError.code, `request did not complete within ${timeoutMs} ms`, { retryable: true, details: { timeoutMs, ...details } });
  }
}

export class OverloadedError extends RingkvError {
  static readonly code = 'OVERLOADED';

  constructor(readonly retryAfterS: number) {
    super(OverloadedError.code, 'node is shedding load; retry later', { retryable: true, details: { retryAfterS } });
  }
}

export class NotReadyError extends RingkvError {
  static readonly code = 'NOT_READY';

  constructor(reason: string) {
    super(NotReadyError.code, `node is not ready: ${reason}`, { retryable: true });
  }
}

export class ShuttingDownError extends RingkvError {
  static readonly code = 'SHUTTING_DOWN';

  constructor() {
    super(ShuttingDownError.code, 'node is shutting down', { retryable: true });
  }
}

export class ConfigError extends RingkvError {
  static readonly code = 'CONFIG_INVALID';

  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ConfigError.code, message, { details });
  }
}

/**
 * This node's clock is further than maxClockSkewMs from the majority of its peers (or was just
 * seen to jump, or has not been compared with theirs yet): it coordinates no writes until it is
 * back, since a write it stamped could shadow later writes of the same key, or lose to earlier ones.
 */
export class ClockSkewError extends RingkvError {
  static readonly code = 'CLOCK_SKEW';

  constructor(reason: string, details: Record<string, unknown> = {}) {
    super(ClockSkewError.code, `this node does not coordinate writes: ${reason}`, { retryable: true, details });
  }
}

/** A record stamped further ahead of this node's clock than maxClockSkewMs: refused, never stored. */
export class TimestampAheadError extends RingkvError {
  static readonly code = 'TIMESTAMP_AHEAD';

  constructor(aheadMs: number, maxSkewMs: number) {
    super(TimestampAheadError.code, `record stamped ${aheadMs} ms ahead of this node's clock (at most ${maxSkewMs} ms accepted)`, { details: { aheadMs, maxSkewMs } });
  }
}

/** No bearer token, a malformed one, or one of no principal (401, with WWW-Authenticate: Bearer). */
export class UnauthenticatedError extends RingkvError {
  static readonly code = 'UNAUTHENTICATED';

  constructor(readonly failure: 'missing' | 'malformed' | 'unknown') {
    const cause = failure;
    super(UnauthenticatedError.code, cause === 'missing'
      ? 'this node requires a token: send Authorization: Bearer <token> (ringkv --token, RINGKV_TOKEN; make one with ringkv token new)'
      : cause === 'malformed' ? 'the Authorization header is not "Bearer <token>"' : 'the token is not one of this node\'s principals');
  }
}

/** A principal whose role does not allow the request (403). */
export class ForbiddenError extends RingkvError {
  static readonly code = 'FORBIDDEN';

  constructor(principal: string, role: string, needed: string) {
    super(ForbiddenError.code, `principal ${principal} has role ${role}; this request needs ${needed}`, { details: { principal, role, needed } });
  }
}

/** A POST to /cluster/* from a page of another origin (the console's CSRF defence, docs/console.md). */
export class CrossOriginError extends RingkvError {
  static readonly code = 'CROSS_ORIGIN';

  constructor(origin: string) {
    super(CrossOriginError.code, `a change from origin ${JSON.stringify(origin.slice(0, 200))} is refused: only a page of this node's own origin may change the cluster`, { details: { origin: origin.slice(0, 200) } });
  }
}

export class InternalError extends RingkvError {
  static readonly code = 'INTERNAL';

  constructor(message: string, cause?: unknown) {
    super(InternalError.code, message, { cause });
  }
}
