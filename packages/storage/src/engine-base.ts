// The shell every engine shares, in abstract-level's shape: the public methods (the Engine
// interface) check their arguments (plain TypeErrors for programmer mistakes), refuse to run
// unless the engine is open (ENGINE_CLOSED), map the native library's errors onto storage's codes
// (native-errors.ts), send synced writes through group commit (group-commit.ts) and make a synced
// deleteRange durable with a barrier write. A backend implements only the `_` methods below; each
// is called with checked arguments, only while the engine is open (between _open and _close), and
// may throw whatever its library throws.
//
// The public methods are the hot path of every read and write, so they take no closure and add
// one promise layer over the backend's own: the in-flight count is entered and left around an
// await (Lifecycle.enter/leave) rather than through a callback.
import {
  BATCH_BYTES_DEFAULT, BATCH_BYTES_MAX, BATCH_ENTRIES_DEFAULT, BATCH_ENTRIES_MAX,
  type BatchIterateOptions, type BatchOp, type Engine, type EngineKind, type Entry, type IterateOptions, type KeyRange, type WriteOptions,
} from './engine.js';
import { checkKey, checkOps, checkRange, isEmptyRange, rangeBarrierKey } from './bytes.js';
import { batchCursorIterable, cursorIterable, type BatchCursorOptions, type CursorOptions } from './cursor-iterable.js';
import { GroupCommitter } from './group-commit.js';
import { Lifecycle, type BatchCursor, type Cursor } from './lifecycle.js';
import { mapNativeError } from './native-errors.js';

export interface EngineBaseOptions {
  /** The data directory, named in errors; undefined for an engine without one (memory). */
  location: string | undefined;
  /**
   * Whether synced writes that arrive together share one sync (group commit). On for the disk
   * engines, where a sync is an fsync; off for the memory engine, whose sync is free and whose
   * writes then apply in call order, which the simulator's replays rely on.
   */
  groupCommit: boolean;
}

export abstract class EngineBase<K extends EngineKind, Native> implements Engine {
  readonly kind: K;
  protected readonly lifecycle: Lifecycle;
  /** In front of _batch for synced writes when groupCommit is on (its stats are the engine's). */
  protected readonly committer: GroupCommitter;
  private readonly errorLocation: string | undefined;
  private readonly groupCommit: boolean;
  /** What _open returned, until close. */
  private nativeNow: Native | undefined;

  protected constructor(kind: K, options: EngineBaseOptions) {
    this.kind = kind;
    this.lifecycle = new Lifecycle(kind);
    this.committer = new GroupCommitter((ops, sync) => this._batch(ops, sync));
    this.errorLocation = options.location;
    this.groupCommit = options.groupCommit;
  }

  // ---- What each backend implements ------------------------------------------------------

  /** Opens the native database, creating it (and its directory) if missing; returns its handle. */
  protected abstract _open(): Promise<Native>;
  /** Closes it; operations in flight have settled and open cursors are closed by then. */
  protected abstract _close(native: Native): Promise<void>;
  /** The value of a checked key, or undefined when absent. */
  protected abstract _get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** The values of checked keys (at least one), in the order asked. */
  protected abstract _getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
  /**
   * Writes checked ops atomically, in order; with sync, resolves once they are synced to disk. The
   * backend keeps copies of keys and values (the arrays may be views of a caller's shared slab).
   */
  protected abstract _batch(ops: readonly BatchOp[], sync: boolean): Promise<void>;
  /** A native cursor; the base opens it at the first next() and closes it (also at close()). */
  protected abstract _iterator(options: CursorOptions): Cursor;
  /**
   * A native cursor handing out batches of at most batchEntries entries, each ending with the
   * entry that brings it to batchBytes; opened and closed as _iterator's.
   */
  protected abstract _batchIterator(options: BatchCursorOptions): BatchCursor;
  /** Deletes every key in a range that may hold some; need not be synced (see deleteRange). */
  protected abstract _clear(range: KeyRange): Promise<void>;

  // ---- The Engine interface --------------------------------------------------------------

  open(): Promise<void> {
    return this.lifecycle.open(async () => {
      try {
        this.nativeNow = await this._open();
      } catch (err) {
        throw this.mapError('open', err);
      }
    });
  }

  close(): Promise<void> {
    return this.lifecycle.close(async () => {
      const native = this.nativeNow;
      this.nativeNow = undefined;
      if (native === undefined) return;
      try {
        await this._close(native);
      } catch (err) {
        throw this.mapError('close', err);
      }
    });
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.lifecycle.enter('get');
    try {
      checkKey(key);
      return await this._get(key);
    } catch (err) {
      throw this.mapError('get', err);
    } finally {
      this.lifecycle.leave();
    }
  }

  async getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    this.lifecycle.enter('getMany');
    try {
      if (!Array.isArray(keys)) throw new TypeError('getMany keys must be an array');
      for (const key of keys) checkKey(key);
      if (keys.length === 0) return [];
      return await this._getMany(keys);
    } catch (err) {
      throw this.mapError('getMany', err);
    } finally {
      this.lifecycle.leave();
    }
  }

  put(key: Uint8Array, value: Uint8Array, options?: WriteOptions): Promise<void> {
    return this.batch([{ type: 'put', key, value }], options);
  }

  del(key: Uint8Array, options?: WriteOptions): Promise<void> {
    return this.batch([{ type: 'del', key }], options);
  }

  async batch(ops: readonly BatchOp[], options?: WriteOptions): Promise<void> {
    this.lifecycle.enter('batch');
    try {
      // Every op is checked before any is queued, so a bad one cannot fail a shared group.
      checkOps(ops);
      await this.write(ops, options?.sync === true);
    } catch (err) {
      throw this.mapError('batch', err);
    } finally {
      this.lifecycle.leave();
    }
  }

  iterate(options: IterateOptions = {}): AsyncIterable<Entry> {
    return cursorIterable(this.lifecycle, cursorOptionsOf(options), (opts) => this._iterator(opts), (err) => this.mapError('iterate', err));
  }

  iterateBatches(options: BatchIterateOptions = {}): AsyncIterable<Entry[]> {
    const cursorOptions: BatchCursorOptions = {
      ...cursorOptionsOf(options),
      batchEntries: checkedCount('batchEntries', options.batchEntries, BATCH_ENTRIES_DEFAULT, BATCH_ENTRIES_MAX),
      batchBytes: checkedCount('batchBytes', options.batchBytes, BATCH_BYTES_DEFAULT, BATCH_BYTES_MAX),
    };
    return batchCursorIterable(this.lifecycle, cursorOptions, (opts) => this._batchIterator(opts), (err) => this.mapError('iterateBatches', err));
  }

  async deleteRange(range: KeyRange, options?: WriteOptions): Promise<void> {
    this.lifecycle.enter('deleteRange');
    try {
      checkRange(range);
      if (isEmptyRange(range)) return;
      await this._clear(rangeBounds(range));
      // The native range clears take no sync option; a synced write of a key in the range after
      // the clear makes it durable (a synced log write covers everything before it).
      const barrier = options?.sync === true ? rangeBarrierKey(range) : undefined;
      if (barrier !== undefined) await this.write([{ type: 'del', key: barrier }], true);
    } catch (err) {
      throw this.mapError('deleteRange', err);
    } finally {
      this.lifecycle.leave();
    }
  }

  // ---- For backends ----------------------------------------------------------------------

  /** The handle _open returned; only the `_` methods use it, and they run only while open. */
  protected get native(): Native {
    if (this.nativeNow === undefined) throw new TypeError(`${this.kind} engine used before open()`);
    return this.nativeNow;
  }

  private write(ops: readonly BatchOp[], sync: boolean): Promise<void> {
    return sync && this.groupCommit ? this.committer.write(ops, true) : this._batch(ops, sync);
  }

  private mapError(operation: string, err: unknown): Error {
    return mapNativeError(this.kind, operation, this.errorLocation, err);
  }
}

/** Checked iterate options with their defaults, as the backends' cursors take them. */
function cursorOptionsOf(options: IterateOptions): CursorOptions {
  checkRange(options);
  const { limit } = options;
  if (limit !== undefined && (typeof limit !== 'number' || Number.isNaN(limit))) throw new TypeError('limit must be a number');
  return { ...rangeBounds(options), reverse: options.reverse === true, limit: limit ?? -1 };
}

/** A batch size: an integer in 1..max, or the default when absent. */
function checkedCount(name: string, value: unknown, dflt: number, max: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) throw new TypeError(`${name} must be an integer from 1 to ${max}`);
  return value;
}

/** Only the bounds that are set: an explicit undefined means something else to the bindings. */
function rangeBounds(range: KeyRange): KeyRange {
  const out: KeyRange = {};
  if (range.gte !== undefined) out.gte = range.gte;
  if (range.lt !== undefined) out.lt = range.lt;
  return out;
}
