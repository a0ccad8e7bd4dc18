// Errors of the storage engines. Each has a stable code (as abstract-level's LEVEL_* codes) so
// the server can map them at its edge; the native library's own error stays reachable as `cause`.
// Programmer mistakes (an empty key, a value that is not bytes) stay plain TypeErrors.
import { RingkvError } from '@ringkv/core';
import type { EngineKind } from './engine.js';

/** The engine is not open: used before open() or after close() (or after a simulated crash). */
export class EngineClosedError extends RingkvError {
  static readonly code = 'ENGINE_CLOSED';

  constructor(kind: EngineKind, operation: string) {
    super(EngineClosedError.code, `${kind} engine is not open: cannot ${operation} (open() it first, or it was closed)`, {
      details: { kind, operation },
    });
  }
}

/** The underlying engine failed an operation (disk full, I/O error, native failure). */
export class EngineIoError extends RingkvError {
  static readonly code = 'ENGINE_IO';

  constructor(kind: EngineKind, operation: string, cause: unknown, location?: string) {
    const where = location === undefined ? '' : ` at ${location}`;
    super(EngineIoError.code, `${kind} engine failed to ${operation}${where}: ${messageOf(cause)}`, {
      cause,
      details: { kind, operation, location },
    });
  }
}

/** The engine found damaged data files. Not retryable: an operator has to repair or rebuild. */
export class EngineCorruptionError extends RingkvError {
  static readonly code = 'ENGINE_CORRUPTION';

  constructor(kind: EngineKind, location: string | undefined, cause: unknown) {
    super(EngineCorruptionError.code, `${kind} engine data${location === undefined ? '' : ` in ${location}`} is corrupt: ${messageOf(cause)}`, {
      cause,
      details: { kind, location },
    });
  }
}

/** Another process (or another engine object in this one) holds the data directory's lock. */
export class EngineLockedError extends RingkvError {
  static readonly code = 'ENGINE_LOCKED';

  constructor(kind: EngineKind, location: string, cause: unknown) {
    super(EngineLockedError.code,
      `${kind} data directory ${location} is locked by another process or engine instance; ` +
        'stop the other ringkv node using it or pick another --data directory',
      { cause, details: { kind, location } },
    );
  }
}


function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
