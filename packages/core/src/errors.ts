// Errors of ringkv: one base class with a stable `code` and `retryable`, a subclass per condition.
// HTTP statuses are mapped only at the server edge. `isRingkvError` works across two copies of the
// package (it checks a registered symbol, not the prototype chain), as undici's errors do.

const kRingkvError = Symbol.for('ringkv.error');

export interface ErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class RingkvError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  readonly [kRingkvError] = true;

  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

export function isRingkvError(err: unknown): err is RingkvError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[kRingkvError] === true;
}

/** A stored record's bytes do not decode: a bad magic, version, checksum or field. */
export class RecordCorruptError extends RingkvError {
  constructor(message: string) {
    super('RECORD_CORRUPT', message);
  }
}

/** A stored record ends before its declared length. */
export class RecordTruncatedError extends RingkvError {
  constructor(message: string) {
    super('RECORD_TRUNCATED', message);
  }
}

/** A remote timestamp is further ahead of the local physical clock than the allowed drift. */
export class ClockDriftError extends RingkvError {
  constructor(message: string, details: Record<string, unknown>) {
    super('CLOCK_DRIFT', message, { retryable: true, details });
  }
}

/** A timestamp string or value does not parse. */
export class InvalidTimestampError extends RingkvError {
  constructor(message: string) {
    super('INVALID_TIMESTAMP', message);
  }
}

/** Every error code core can raise, for the docs test. */
export const CORE_ERROR_CODES = ['RECORD_CORRUPT', 'RECORD_TRUNCATED', 'CLOCK_DRIFT', 'INVALID_TIMESTAMP', 'INVALID_PARAMETER'] as const;

/** A per-request r or w is not an integer in 1..n nor one of `one`, `quorum`, `all`. */
export class InvalidConsistencyError extends RingkvError {
  constructor(param: 'r' | 'w', value: unknown, n: number) {
    super('INVALID_PARAMETER', `invalid ${param}=${JSON.stringify(value)}: expected an integer 1..${n}, "one", "quorum" or "all"`, {
      details: { param, value, n },
    });
  }
}
