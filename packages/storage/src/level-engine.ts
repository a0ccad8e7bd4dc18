// The default engine: LevelDB through classic-level, keys and values as Uint8Array ('view'
// encoding). Synced writes go through a GroupCommitter so concurrent durable writers share one
// fsync; unsynced writes go straight to the native batch.
import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import type { BatchOp, Engine, Entry, IterateOptions, KeyRange, WriteOptions } from './engine.js';
import { checkKey, checkOps, checkRange, isEmptyRange, rangeBarrierKey, toView } from './bytes.js';
import { cursorIterable } from './cursor-iterable.js';
import { GroupCommitter, type GroupCommitStats } from './group-commit.js';
import { Lifecycle, type Cursor } from './lifecycle.js';
import { mapNativeError } from './native-errors.js';

type Db = ClassicLevel<Uint8Array, Uint8Array>;
/**
 * LevelDB's memtable. Its 4 MiB default (2011) flushes and compacts a small, hot data set over and
 * over; 32 MiB absorbs overwrites in memory (RocksDB's default is 64 MiB) and costs that much RAM.
 */
const WRITE_BUFFER_BYTES = 32 * 1024 * 1024;
/**
 * classic-level's implementation of a chained batch, below abstract-level's checks and encodings:
 * one native call per op with the key and value as arguments. Its array form (_batch) reads
 * type, key and value of each op by name through N-API, about twice the main-thread cost per op
 * (measured: 1.6 against 0.6 us per op in batches of 30).
 */
type NativeChainedBatch = {
  _put(key: Uint8Array, value: Uint8Array): void;
  _del(key: Uint8Array): void;
  _clear(): void;
  _write(options: { sync: boolean }): Promise<void>;
};
type NativeDb = { _chainedBatch?: () => NativeChainedBatch };
/**
 * Native batches kept for reuse once written and cleared. A new batch's memory is native and freed
 * only when V8 collects its small JS wrapper, which V8 does not hurry for memory it cannot see;
 * reused ones bound that by construction (resident memory under load measured the same either
 * way). A few suffice (writes are mostly one at a time); each keeps the capacity of the largest
 * batch it held.
 */
const SPARE_BATCHES = 4;

export class LevelEngine implements Engine {
  readonly kind = 'level' as const;
  private readonly lifecycle = new Lifecycle('level');
  private readonly committer = new GroupCommitter((ops, sync) => this.writeBatch(ops, sync));
  /** Made at the first open: a ClassicLevel opens itself on construction. */
  private db: Db | undefined;
  private readonly spareBatches: NativeChainedBatch[] = [];

  constructor(readonly location: string) {}

  open(): Promise<void> {
    return this.lifecycle.open(async () => {
      try {
        await mkdir(this.location, { recursive: true });
        this.db ??= new ClassicLevel<Uint8Array, Uint8Array>(this.location, { keyEncoding: 'view', valueEncoding: 'view', writeBufferSize: WRITE_BUFFER_BYTES });
        await this.db.open({ createIfMissing: true });
      } catch (err) {
        throw mapNativeError(this.kind, 'open', this.location, err);
      }
    });
  }

  close(): Promise<void> {
    return this.lifecycle.close(async () => {
      // Native batches belong to this opening of the database.
      this.spareBatches.length = 0;
      try {
        await this.db?.close();
      } catch (err) {
        throw mapNativeError(this.kind, 'close', this.location, err);
      }
    });
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.call('get', async (db) => {
      checkKey(key);
      const value = await db.get(key);
      return value === undefined ? undefined : toView(value);
    });
  }

  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.call('getMany', async (db) => {
      for (const key of keys) checkKey(key);
      if (keys.length === 0) return [];
      const values = await db.getMany(keys as Uint8Array[]);
      return values.map((v) => (v === undefined ? undefined : toView(v)));
    });
  }

  put(key: Uint8Array, value: Uint8Array, options?: WriteOptions): Promise<void> {
    return this.batch([{ type: 'put', key, value }], options);
  }

  del(key: Uint8Array, options?: WriteOptions): Promise<void> {
    return this.batch([{ type: 'del', key }], options);
  }

  batch(ops: readonly BatchOp[], options?: WriteOptions): Promise<void> {
    return this.call('batch', async () => {
      checkOps(ops);
      await this.committer.write(ops, options?.sync === true);
    });
  }

  iterate(options: IterateOptions = {}): AsyncIterable<Entry> {
    return cursorIterable(this.lifecycle, options, (opts) => this.openCursor(opts));
  }

  deleteRange(range: KeyRange, options?: WriteOptions): Promise<void> {
    return this.call('deleteRange', async (db) => {
      checkRange(range);
      if (isEmptyRange(range)) return;
      await db.clear(rangeOptions(range));
      const barrier = rangeBarrierKey(range);
      if (options?.sync === true && barrier !== undefined) {
        await this.committer.write([{ type: 'del', key: barrier }], true);
      }
    });
  }

  get groupCommitStats(): Readonly<GroupCommitStats> {
    return this.committer.stats;
  }

  private async writeBatch(ops: readonly BatchOp[], sync: boolean): Promise<void> {
    const db = this.requireDb();
    // abstract-level's batch() clones, re-validates and re-encodes every op (a tenth of a busy
    // node's main thread under PUT load); ours are checked already (checkOps) and the engine is
    // open (Lifecycle), so they go straight to the native batch.
    const chained = (db as unknown as NativeDb)._chainedBatch;
    if (typeof chained !== 'function') return db.batch([...ops], { sync });
    let batch = this.spareBatches.pop();
    if (batch === undefined) {
      batch = chained.call(db);
      // abstract-level tracks it to close it with the database; ours are written at once, and a
      // Set entry per batch that nothing removes would only grow.
      db.detachResource(batch as never);
    }
    for (const op of ops) {
      if (op.type === 'put') batch._put(op.key, op.value);
      else batch._del(op.key);
    }
    await batch._write({ sync });
    // Only a batch whose write succeeded is reused (a failed one is dropped with its ops).
    batch._clear();
    if (this.spareBatches.length < SPARE_BATCHES) this.spareBatches.push(batch);
  }

  private openCursor(options: IterateOptions): Cursor {
    const it = this.requireDb().iterator({
      ...rangeOptions(options),
      reverse: options.reverse === true,
      limit: options.limit ?? -1,
    });
    return {
      next: async () => {
        try {
          const entry = await it.next();
          return entry === undefined ? undefined : [toView(entry[0]), toView(entry[1])];
        } catch (err) {
          throw mapNativeError(this.kind, 'iterate', this.location, err);
        }
      },
      close: () => it.close(),
    };
  }

  private call<T>(operation: string, fn: (db: Db) => Promise<T>): Promise<T> {
    return this.lifecycle.run(operation, async () => {
      try {
        return await fn(this.requireDb());
      } catch (err) {
        throw mapNativeError(this.kind, operation, this.location, err);
      }
    });
  }

  private requireDb(): Db {
    if (this.db === undefined) throw new TypeError('level engine used before open()');
    return this.db;
  }
}

/** Only the bounds that are set: an explicit undefined would mean something else natively. */
function rangeOptions(range: KeyRange): { gte?: Uint8Array; lt?: Uint8Array } {
  const out: { gte?: Uint8Array; lt?: Uint8Array } = {};
  if (range.gte !== undefined) out.gte = range.gte;
  if (range.lt !== undefined) out.lt = range.lt;
  return out;
}
