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
  static readonly code = 'RECORD_CORRUPT';

  constructor(message: string) {
    super(RecordCorruptError.code, message);
  }
}

/** A stored record ends before its declared length. */
export class RecordTruncatedError extends RingkvError {
  static readonly code = 'RECORD_TRUNCATED';

  constructor(message: string) {
    super(RecordTruncatedError.code, message);
  }
}

/** A remote timestamp is further ahead of the local physical clock than the allowed drift. */
export class ClockDriftError extends RingkvError {
  static readonly code = 'CLOCK_DRIFT';

  constructor(message: string, details: Record<string, unknown>) {
    super(ClockDriftError.code, message, { retryable: true, details });
  }
}

/** A timestamp string or value does not parse. */
export class InvalidTimestampError extends RingkvError {
  static readonly code = 'INVALID_TIMESTAMP';

  constructor(message: string) {
    super(InvalidTimestampError.code, message);
  }
}

/**
 * The codes of the error classes a module exports: each class declares its own (`static code`, or
 * `static codes` for one that takes its code as an argument). A package's code list is derived
 * this way from its error modules (error-codes.ts), never kept by hand.
 */
export function codesOf(...modules: readonly object[]): readonly string[] {
  const codes = new Set<string>();
  for (const m of modules) {
    for (const v of Object.values(m)) {
      if (typeof v !== 'function' || !(v.prototype instanceof Error)) continue;
      const declared = v as { code?: unknown; codes?: unknown };
      if (Object.hasOwn(v, 'code') && typeof declared.code === 'string') codes.add(declared.code);
      if (Object.hasOwn(v, 'codes') && Array.isArray(declared.codes)) for (const c of declared.codes) codes.add(String(c));
    }
  }
  return Object.freeze([...codes].sort());
}

/** A per-request r or w is not an integer in 1..n nor one of `one`, `quorum`, `all`. */
export class InvalidConsistencyError extends RingkvError {
  static readonly code = 'INVALID_PARAMETER';

  constructor(param: 'r' | 'w', value: unknown, n: number) {
    super(InvalidConsistencyError.code, `invalid ${param}=${JSON.stringify(value)}: expected an integer 1..${n}, "one", "quorum" or "all"`, {
      details: { param, value, n },
    });
  }
}
