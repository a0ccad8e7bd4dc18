// Errors the node answers with. Each has a stable code; the HTTP status is chosen only at the edge
// (http/error-response.ts). Codes are listed in docs/errors.md and a test keeps the two in step.
import { RingkvError } from '@ringkv/core';

export class InvalidKeyError extends RingkvError {
  constructor(message: string) {
    super('INVALID_KEY', message);
  }
}

export class InvalidParameterError extends RingkvError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('INVALID_PARAMETER', message, { details });
  }
}

export class KeyNotFoundError extends RingkvError {
  constructor(key: string) {
    super('NOT_FOUND', `key "${key}" not found`);
  }
}

export class RouteNotFoundError extends RingkvError {
  constructor(method: string, path: string) {
    super('NO_SUCH_ROUTE', `no route for ${method} ${path}`);
  }
}

export class MethodNotAllowedError extends RingkvError {
  constructor(method: string, path: string, readonly allow: string[]) {
    super('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; allowed: ${allow.join(', ')}`);
  }
}

export class ValueTooLargeError extends RingkvError {
  constructor(limitBytes: number) {
    super('VALUE_TOO_LARGE', `value exceeds the limit of ${limitBytes} bytes`, { details: { limitBytes } });
  }
}

export class QuorumUnavailableError extends RingkvError {
  constructor(op: 'read' | 'write', required: number, acked: number, extra: Record<string, unknown> = {}) {
    super('QUORUM_UNAVAILABLE', `${op} needed ${required} replicas but only ${acked} answered`, {
      retryable: true,
      details: { required, acked, ...extra },
    });
  }
}

export class RequestTimeoutError extends RingkvError {
  constructor(timeoutMs: number, details: Record<string, unknown> = {}) {
    super('TIMEOUT', `request did not complete within ${timeoutMs} ms`, { retryable: true, details: { timeoutMs, ...details } });
  }
}

export class OverloadedError extends RingkvError {
  constructor(readonly retryAfterS: number) {
    super('OVERLOADED', 'node is shedding load; retry later', { retryable: true, details: { retryAfterS } });
  }
}

export class NotReadyError extends RingkvError {
  constructor(reason: string) {
    super('NOT_READY', `node is not ready: ${reason}`, { retryable: true });
  }
}

export class ShuttingDownError extends RingkvError {
  constructor() {
    super('SHUTTING_DOWN', 'node is shutting down', { retryable: true });
  }
}

export class ConfigError extends RingkvError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CONFIG_INVALID', message, { details });
  }
}

/**
 * This node's clock is further than maxClockSkewMs from the majority of its peers (or was just
 * seen to jump, or has not been compared with theirs yet): it coordinates no writes until it is
 * back, since a write it stamped could shadow later writes of the same key, or lose to earlier ones.
 */
export class ClockSkewError extends RingkvError {
  constructor(reason: string, details: Record<string, unknown> = {}) {
    super('CLOCK_SKEW', `this node does not coordinate writes: ${reason}`, { retryable: true, details });
  }
}

/** A record stamped further ahead of this node's clock than maxClockSkewMs: refused, never stored. */
export class TimestampAheadError extends RingkvError {
  constructor(aheadMs: number, maxSkewMs: number) {
    super('TIMESTAMP_AHEAD', `record stamped ${aheadMs} ms ahead of this node's clock (at most ${maxSkewMs} ms accepted)`, { details: { aheadMs, maxSkewMs } });
  }
}

/** No bearer token, a malformed one, or one of no principal (401, with WWW-Authenticate: Bearer). */
export class UnauthenticatedError extends RingkvError {
  constructor(readonly failure: 'missing' | 'malformed' | 'unknown') {
    const cause = failure;
    super('UNAUTHENTICATED', cause === 'missing'
      ? 'this node requires a token: send Authorization: Bearer <token> (ringkv --token, RINGKV_TOKEN; make one with ringkv token new)'
      : cause === 'malformed' ? 'the Authorization header is not "Bearer <token>"' : 'the token is not one of this node\'s principals');
  }
}

/** A principal whose role does not allow the request (403). */
export class ForbiddenError extends RingkvError {
  constructor(principal: string, role: string, needed: string) {
    super('FORBIDDEN', `principal ${principal} has role ${role}; this request needs ${needed}`, { details: { principal, role, needed } });
  }
}

export class InternalError extends RingkvError {
  constructor(message: string, cause?: unknown) {
    super('INTERNAL', message, { cause });
  }
}

export const SERVER_ERROR_CODES = [
  'INVALID_KEY', 'INVALID_PARAMETER', 'NOT_FOUND', 'NO_SUCH_ROUTE', 'METHOD_NOT_ALLOWED',
  'VALUE_TOO_LARGE', 'QUORUM_UNAVAILABLE', 'TIMEOUT', 'OVERLOADED', 'NOT_READY', 'SHUTTING_DOWN',
  'CONFIG_INVALID', 'INTERNAL', 'CLOCK_SKEW', 'TIMESTAMP_AHEAD', 'UNAUTHENTICATED', 'FORBIDDEN',
] as const;
