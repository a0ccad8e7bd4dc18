// Maps the errors of classic-level and rocksdb onto storage's stable codes. classic-level sets
// `code` (LEVEL_LOCKED, LEVEL_CORRUPTION, often wrapped in LEVEL_DATABASE_NOT_OPEN with the real
// error as `cause`); the rocksdb binding only has messages ("IO error: lock ...", "Corruption: ...").
import { isRingkvError } from '@ringkv/core';
import type { EngineKind } from './engine.js';
import { EngineCorruptionError, EngineIoError, EngineLockedError } from './errors.js';

interface NativeError {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** `location` is the data directory; undefined for an engine without one (memory), which has no
 * lock to lose. */
export function mapNativeError(kind: EngineKind, operation: string, location: string | undefined, err: unknown): Error {
  // Our own errors and argument checks pass through untouched.
  if (isRingkvError(err) || err instanceof TypeError) return err;
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const { code, message } = e as NativeError;
    const text = typeof message === 'string' ? message : '';
    // rocksdb: "IO error: lock hold by current process ..." (same process) or
    // "IO error: While lock file: <dir>/LOCK: Resource temporarily unavailable" (another process).
    if (location !== undefined && (code === 'LEVEL_LOCKED' || /^IO error: (while )?lock\b/i.test(text))) {
      return new EngineLockedError(kind, location, err);
    }
    if (code === 'LEVEL_CORRUPTION' || /^Corruption\b/i.test(text)) {
      return new EngineCorruptionError(kind, location, err);
    }
    e = (e as NativeError).cause;
  }
  return new EngineIoError(kind, operation, err, location);
}
