// RocksDB through the `rocksdb` package (abstract-leveldown 7: callbacks, Buffer keys). The
// binding is loaded lazily so nodes on the level engine never load its native library. Its
// handle must never see a call after close (it segfaults), which the Lifecycle guarantees by
// draining operations and ending iterators first.
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { BatchOp, Engine, Entry, IterateOptions, KeyRange, WriteOptions } from './engine.js';
import { checkKey, checkOps, checkRange, isEmptyRange, rangeBarrierKey, toBuffer, toView } from './bytes.js';
import { cursorIterable } from './cursor-iterable.js';
import { GroupCommitter, type GroupCommitStats } from './group-commit.js';
import { Lifecycle, type Cursor } from './lifecycle.js';
import { mapNativeError } from './native-errors.js';

type Callback<T = void> = (err: Error | null | undefined, result?: T) => void;

/** The part of the rocksdb package's API this engine uses. */
interface RocksDb {
  open(options: { createIfMissing: boolean; errorIfExists: boolean }, callback: Callback): void;
  close(callback: Callback): void;
  get(key: Buffer, options: { asBuffer: true; fillCache?: boolean }, callback: Callback<Buffer>): void;
  getMany(keys: Buffer[], options: { asBuffer: true; fillCache?: boolean }, callback: Callback<(Buffer | undefined)[]>): void;
  batch(ops: RocksBatchOp[], options: { sync: boolean }, callback: Callback): void;
  clear(options: { gte?: Buffer; lt?: Buffer }, callback: Callback): void;
  iterator(options: RocksIteratorOptions): RocksIterator;
}

type RocksBatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

interface RocksIteratorOptions {
  gte?: Buffer;
  lt?: Buffer;
  reverse: boolean;
  limit: number;
  keyAsBuffer: true;
  valueAsBuffer: true;
}

interface RocksIterator {
  next(callback: (err: Error | null | undefined, key?: Buffer, value?: Buffer) => void): void;
  end(callback: Callback): void;
}

type RocksFactory = (location: string) => RocksDb;

let factory: RocksFactory | undefined;
function loadRocksdb(): RocksFactory {
  factory ??= createRequire(import.meta.url)('rocksdb') as RocksFactory;
  return factory;
}

function promisify<T = void>(start: (callback: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((err, result) => (err ? reject(err) : resolve(result as T)));
  });
}

export class RocksdbEngine implements Engine {
  readonly kind = 'rocksdb' as const;
  private readonly lifecycle = new Lifecycle('rocksdb');
  private readonly committer = new GroupCommitter((ops, sync) => this.writeBatch(ops, sync));
  private db: RocksDb | undefined;

  constructor(readonly location: string) {}

  open(): Promise<void> {
    return this.lifecycle.open(async () => {
      try {
        await mkdir(this.location, { recursive: true });
        this.db ??= loadRocksdb()(this.location);
        const db = this.db;
        await promisify((cb) => db.open({ createIfMissing: true, errorIfExists: false }, cb));
      } catch (err) {
        throw mapNativeError(this.kind, 'open', this.location, err);
      }
    });
  }

  close(): Promise<void> {
    return this.lifecycle.close(async () => {
      const db = this.db;
      if (db === undefined) return;
      try {
        await promisify((cb) => db.close(cb));
      } catch (err) {
        throw mapNativeError(this.kind, 'close', this.location, err);
      }
    });
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.call('get', async (db) => {
      checkKey(key);
      return new Promise<Uint8Array | undefined>((resolve, reject) => {
        db.get(toBuffer(key), { asBuffer: true }, (err, value) => {
          if (err) {
            if (/^NotFound/.test(err.message)) resolve(undefined);
            else reject(err);
          } else {
            resolve(value === undefined ? undefined : toView(value));
          }
        });
      });
    });
  }

  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.call('getMany', async (db) => {
      for (const key of keys) checkKey(key);
      if (keys.length === 0) return [];
      return new Promise<(Uint8Array | undefined)[]>((resolve, reject) => {
        db.getMany(keys.map(toBuffer), { asBuffer: true }, (err, values) => {
          if (err) reject(err);
          else resolve(values!.map((v) => (v === undefined || v === null ? undefined : toView(v))));
        });
      });
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
      await promisify((cb) => db.clear(rangeOptions(range), cb));
      const barrier = rangeBarrierKey(range);
      if (options?.sync === true && barrier !== undefined) {
        await this.committer.write([{ type: 'del', key: barrier }], true);
      }
    });
  }

  get groupCommitStats(): Readonly<GroupCommitStats> {
    return this.committer.stats;
  }

  private writeBatch(ops: readonly BatchOp[], sync: boolean): Promise<void> {
    const db = this.requireDb();
    const native: RocksBatchOp[] = ops.map((op) =>
      op.type === 'put'
        ? { type: 'put', key: toBuffer(op.key), value: toBuffer(op.value) }
        : { type: 'del', key: toBuffer(op.key) },
    );
    return promisify((cb) => db.batch(native, { sync }, cb));
  }

  private openCursor(options: IterateOptions): Cursor {
    const it = this.requireDb().iterator({
      ...rangeOptions(options),
      reverse: options.reverse === true,
      limit: options.limit ?? -1,
      keyAsBuffer: true,
      valueAsBuffer: true,
    });
    let ended: Promise<void> | undefined;
    return {
      next: () =>
        new Promise<Entry | undefined>((resolve, reject) => {
          it.next((err, key, value) => {
            if (err) reject(mapNativeError(this.kind, 'iterate', this.location, err));
            else resolve(key === undefined || value === undefined ? undefined : [toView(key), toView(value)]);
          });
        }),
      close: () => (ended ??= promisify((cb) => it.end(cb))),
    };
  }

  private call<T>(operation: string, fn: (db: RocksDb) => Promise<T>): Promise<T> {
    return this.lifecycle.run(operation, async () => {
      try {
        return await fn(this.requireDb());
      } catch (err) {
        throw mapNativeError(this.kind, operation, this.location, err);
      }
    });
  }

  private requireDb(): RocksDb {
    if (this.db === undefined) throw new TypeError('rocksdb engine used before open()');
    return this.db;
  }
}

/** Only the bounds that are set: the binding would turn an undefined bound into 'undefined'. */
function rangeOptions(range: KeyRange): { gte?: Buffer; lt?: Buffer } {
  const out: { gte?: Buffer; lt?: Buffer } = {};
  if (range.gte !== undefined) out.gte = toBuffer(range.gte);
  if (range.lt !== undefined) out.lt = toBuffer(range.lt);
  return out;
}
