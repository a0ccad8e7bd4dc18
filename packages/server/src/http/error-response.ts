// The only place where error codes become HTTP statuses. The body is always
// {"error": {"code", "message", ...details}}.
import type { ServerResponse } from 'node:http';
import { InvalidTimestampError, isRingkvError, type RingkvError } from '@ringkv/core';
import {
  ClockSkewError, CrossOriginError, ForbiddenError, InternalError, InvalidKeyError, InvalidParameterError, KeyNotFoundError, MethodNotAllowedError,
  NotReadyError, OverloadedError, QuorumUnavailableError, RequestTimeoutError, RouteNotFoundError, ShuttingDownError,
  UnauthenticatedError, ValueTooLargeError,
} from '../errors.js';
import { MembershipChangeRefusedError, MembershipChangeTimeoutError, NoLeaderError } from '../membership/membership-errors.js';

const STATUS_BY_CODE: Record<string, number> = {
  [InvalidKeyError.code]: 400,
  [InvalidParameterError.code]: 400,
  [InvalidTimestampError.code]: 400,
  [KeyNotFoundError.code]: 404,
  [RouteNotFoundError.code]: 404,
  [MethodNotAllowedError.code]: 405,
  [ValueTooLargeError.code]: 413,
  [QuorumUnavailableError.code]: 503,
  [OverloadedError.code]: 503,
  [NotReadyError.code]: 503,
  [ShuttingDownError.code]: 503,
  [RequestTimeoutError.code]: 504,
  [NoLeaderError.code]: 503,
  [MembershipChangeRefusedError.code]: 409,
  [MembershipChangeTimeoutError.code]: 504,
  [ClockSkewError.code]: 503,
  [UnauthenticatedError.code]: 401,
  [ForbiddenError.code]: 403,
  [CrossOriginError.code]: 403,
};

/** Refusals a client may retry after a short pause: they carry Retry-After. */
const RETRY_AFTER_CODES: ReadonlySet<string> = new Set([ShuttingDownError.code, NotReadyError.code, NoLeaderError.code, ClockSkewError.code]);

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
  if (err instanceof OverloadedError || RETRY_AFTER_CODES.has(err.code)) {
    headers['retry-after'] = err instanceof OverloadedError ? err.retryAfterS : 1;
  }
  if (err instanceof MethodNotAllowedError) headers.allow = err.allow.join(', ');
  if (err.code === UnauthenticatedError.code) headers['www-authenticate'] = 'Bearer realm="ringkv"';
  // A body we refused to read would otherwise be parsed as the next request.
  if (err.code === ValueTooLargeError.code) headers.connection = 'close';
  if (!res.headersSent) res.writeHead(status, headers);
  res.end(body);
  return status;
}
