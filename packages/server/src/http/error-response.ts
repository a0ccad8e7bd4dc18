// The only place where error codes become HTTP statuses. The body is always
// {"error": {"code", "message", ...details}}.
import type { ServerResponse } from 'node:http';
import { isRingkvError, type RingkvError } from '@ringkv/core';
import { InternalError, MethodNotAllowedError, OverloadedError } from '../errors.js';

const STATUS_BY_CODE: Record<string, number> = {
  INVALID_KEY: 400,
  INVALID_PARAMETER: 400,
  INVALID_TIMESTAMP: 400,
  NOT_FOUND: 404,
  NO_SUCH_ROUTE: 404,
  METHOD_NOT_ALLOWED: 405,
  VALUE_TOO_LARGE: 413,
  QUORUM_UNAVAILABLE: 503,
  OVERLOADED: 503,
  NOT_READY: 503,
  SHUTTING_DOWN: 503,
  TIMEOUT: 504,
  NO_LEADER: 503,
  MEMBERSHIP_CHANGE_REFUSED: 409,
  MEMBERSHIP_CHANGE_TIMEOUT: 504,
  CLOCK_SKEW: 503,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
};

export function statusFor(err: RingkvError): number {
  return STATUS_BY_CODE[err.code] ?? 500;
}

export function toRingkvError(err: unknown): RingkvError {
  if (isRingkvError(err)) return err;
  return new InternalError(err instanceof Error ? err.message : String(err), err);
}

export function sendError(res: ServerResponse, error: unknown): number {
  const err = toRingkvError(error);
  const status = statusFor(err);
  const body = JSON.stringify({ error: { code: err.code, message: err.message, ...err.details } });
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  };
  if (err instanceof OverloadedError || err.code === 'SHUTTING_DOWN' || err.code === 'NOT_READY' || err.code === 'NO_LEADER' || err.code === 'CLOCK_SKEW') {
    headers['retry-after'] = err instanceof OverloadedError ? err.retryAfterS : 1;
  }
  if (err instanceof MethodNotAllowedError) headers.allow = err.allow.join(', ');
  if (err.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer realm="ringkv"';
  // A body we refused to read would otherwise be parsed as the next request.
  if (err.code === 'VALUE_TOO_LARGE') headers.connection = 'close';
  if (!res.headersSent) res.writeHead(status, headers);
  res.end(body);
  return status;
}
