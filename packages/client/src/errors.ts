// Errors the client raises. A server error carries the server's code, its HTTP status, the
// required/acked counts of a quorum failure and the endpoint that answered. Codes are stable.

const kClientError = Symbol.for('ringkv.client.error');

export class RingkvClientError extends Error {
  readonly [kClientError] = true;
  constructor(
    readonly code: string,
    message: string,
    readonly extra: { status?: number; endpoint?: string; required?: number; acked?: number; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = new.target.name;
  }
  get status(): number | undefined { return this.extra.status; }
  get endpoint(): string | undefined { return this.extra.endpoint; }
  get required(): number | undefined { return this.extra.required; }
  get acked(): number | undefined { return this.extra.acked; }
  get retryable(): boolean { return this.extra.retryable ?? false; }
}

export function isRingkvClientError(err: unknown): err is RingkvClientError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[kClientError] === true;
}

/** The server answered with an error body. */
export class ServerError extends RingkvClientError {}

/** No endpoint could be reached. */
export class ConnectionError extends RingkvClientError {
  constructor(message: string, endpoint: string, cause?: unknown) {
    super('CONNECTION_FAILED', message, { endpoint, retryable: true, cause });
  }
}

/** The call did not finish within its timeout. */
export class ClientTimeoutError extends RingkvClientError {
  constructor(timeoutMs: number, endpoint: string) {
    super('CLIENT_TIMEOUT', `no answer from ${endpoint} within ${timeoutMs} ms`, { endpoint, retryable: true });
  }
}

/** The caller aborted the call through its AbortSignal. */
export class AbortedError extends RingkvClientError {
  constructor(endpoint: string) {
    super('ABORTED', 'the call was aborted', { endpoint });
  }
}

/** The caller passed something the API cannot take (an empty key, a bad option). */
export class InvalidArgumentError extends RingkvClientError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** Codes the client raises itself (server codes pass through unchanged). */
export const CLIENT_ERROR_CODES = ['CONNECTION_FAILED', 'CLIENT_TIMEOUT', 'ABORTED', 'INVALID_ARGUMENT'] as const;
