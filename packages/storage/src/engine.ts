// The one storage interface every engine implements. Keys and values are bytes; keys sort
// bytewise. Key spaces and partition prefixes are laid out by keys.ts, so one partition can be
// scanned, streamed or dropped on its own.

export interface WriteOptions {
  /** Acknowledge only after the write is synced to disk (engines share one sync between
   * writes that arrive together: group commit). Default false: acknowledged once the engine holds
   * it, which survives a crash of the process but not of the machine. */
  sync?: boolean;
}

export type BatchOp =
  | { type: 'put'; key: Uint8Array; value: Uint8Array }
  | { type: 'del'; key: Uint8Array };

export interface KeyRange {
  /** Inclusive lower bound; absent means from the first key. */
  gte?: Uint8Array;
  /** Exclusive upper bound; absent means to the last key. */
  lt?: Uint8Array;
}

export interface IterateOptions extends KeyRange {
  reverse?: boolean;
  /** At most this many entries; absent or negative means all. */
  limit?: number;
}

export type Entry = [key: Uint8Array, value: Uint8Array];

export interface BatchIterateOptions extends IterateOptions {
  /** Entries per batch, at most: 1..BATCH_ENTRIES_MAX, default 1000. */
  batchEntries?: number;
  /**
   * A batch ends with the entry that brings its keys and values to this many bytes (so it holds
   * at most one entry past it): 1..BATCH_BYTES_MAX, default 64 KiB.
   */
  batchBytes?: number;
}

export const BATCH_ENTRIES_DEFAULT = 1000;
export const BATCH_ENTRIES_MAX = 100_000;
export const BATCH_BYTES_DEFAULT = 64 * 1024;
export const BATCH_BYTES_MAX = 64 * 1024 * 1024;

export interface Engine {
  /** `level`, `rocksdb` or `memory`. */
  readonly kind: EngineKind;
  open(): Promise<void>;
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** Several gets in one call (one trip to the engine's thread pool instead of one per key). */
  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
  put(key: Uint8Array, value: Uint8Array, options?: WriteOptions): Promise<void>;
  del(key: Uint8Array, options?: WriteOptions): Promise<void>;
  /**
   * Applies every op or none. The engine keeps copies of keys and values, never the arrays given:
   * callers may pass views of shared slabs (allocBytes) without pinning them.
   */
  batch(ops: readonly BatchOp[], options?: WriteOptions): Promise<void>;
  /** Entries in bytewise key order (or reverse) within the range. */
  iterate(options?: IterateOptions): AsyncIterable<Entry>;
  /**
   * The entries iterate() would give, in arrays (never empty): each array is one call into the
   * engine (for LevelDB one trip to its thread pool) instead of one promise per entry. What a bulk
   * reader takes (partition streaming); one snapshot for the whole iteration, as iterate().
   */
  iterateBatches(options?: BatchIterateOptions): AsyncIterable<Entry[]>;
  /** Deletes every key in the range. */
  deleteRange(range: KeyRange, options?: WriteOptions): Promise<void>;
  close(): Promise<void>;
}

export type EngineKind = 'level' | 'rocksdb' | 'memory';
export const ENGINE_KINDS: readonly EngineKind[] = ['level', 'rocksdb', 'memory'];
