// RocksDB through the `rocksdb` package (abstract-leveldown 7: callbacks, Buffer keys), as an
// EngineBase backend; only the binding's public API is used. The binding is loaded lazily so
// nodes on the level engine never load its native library. Its handle must never see a call
// after close (it segfaults), which the Lifecycle guarantees by draining operations and ending
// iterators first.
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { BatchOp, Entry, KeyRange } from './engine.js';
import { toBuffer, toView } from './bytes.js';
import type { BatchCursorOptions, CursorOptions } from './cursor-iterable.js';
import { EngineBase } from './engine-base.js';
import type { GroupCommitStats } from './group-commit.js';
import type { BatchCursor, Cursor } from './lifecycle.js';

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
  /** Bytes the binding reads ahead per trip to its thread pool (default 16 KiB). */
  highWaterMark?: number;
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

export class RocksdbEngine extends EngineBase<'rocksdb', RocksDb> {
  constructor(readonly location: string) {
    super('rocksdb', { location, groupCommit: true });
  }

  get groupCommitStats(): Readonly<GroupCommitStats> {
    return this.committer.stats;
  }

  protected async _open(): Promise<RocksDb> {
    await mkdir(this.location, { recursive: true });
    const db = loadRocksdb()(this.location);
    await promisify((cb) => db.open({ createIfMissing: true, errorIfExists: false }, cb));
    return db;
  }

  protected _close(db: RocksDb): Promise<void> {
    return promisify((cb) => db.close(cb));
  }

  protected _get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return new Promise<Uint8Array | undefined>((resolve, reject) => {
      this.native.get(toBuffer(key), { asBuffer: true }, (err, value) => {
        if (err) {
          if (/^NotFound/.test(err.message)) resolve(undefined);
          else reject(err);
        } else {
          resolve(value === undefined ? undefined : toView(value));
        }
      });
    });
  }

  protected _getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return new Promise<(Uint8Array | undefined)[]>((resolve, reject) => {
      this.native.getMany(keys.map(toBuffer), { asBuffer: true }, (err, values) => {
        if (err) reject(err);
        else resolve(values!.map((v) => (v === undefined || v === null ? undefined : toView(v))));
      });
    });
  }

  protected _batch(ops: readonly BatchOp[], sync: boolean): Promise<void> {
    const db = this.native;
    const native: RocksBatchOp[] = ops.map((op) =>
      op.type === 'put'
        ? { type: 'put', key: toBuffer(op.key), value: toBuffer(op.value) }
        : { type: 'del', key: toBuffer(op.key) },
    );
    return promisify((cb) => db.batch(native, { sync }, cb));
  }

  protected _iterator(options: CursorOptions): Cursor {
    const it = this.native.iterator({
      ...bufferBounds(options),
      reverse: options.reverse,
      limit: options.limit,
      keyAsBuffer: true,
      valueAsBuffer: true,
    });
    let ended: Promise<void> | undefined;
    return {
      next: () =>
        new Promise<Entry | undefined>((resolve, reject) => {
          it.next((err, key, value) => {
            if (err) reject(err);
            else resolve(key === undefined || value === undefined ? undefined : [toView(key), toView(value)]);
          });
        }),
      close: () => (ended ??= promisify((cb) => it.end(cb))),
    };
  }

  protected _batchIterator(options: BatchCursorOptions): BatchCursor {
    // The binding has no public nextv: its next() hands out entries it read ahead in one trip to
    // its thread pool (highWaterMark bytes), so a batch is a loop of next() over that read-ahead.
    const it = this.native.iterator({
      ...bufferBounds(options),
      reverse: options.reverse,
      limit: options.limit,
      keyAsBuffer: true,
      valueAsBuffer: true,
      highWaterMark: options.batchBytes,
    });
    let finished = false;
    let ended: Promise<void> | undefined;
    return {
      nextBatch: () =>
        new Promise<Entry[]>((resolve, reject) => {
          const out: Entry[] = [];
          if (finished) return resolve(out);
          let bytes = 0;
          const step = (): void => {
            it.next((err, key, value) => {
              if (err) return reject(err);
              if (key === undefined || value === undefined) {
                finished = true;
                return resolve(out);
              }
              out.push([toView(key), toView(value)]);
              bytes += key.length + value.length;
              if (out.length >= options.batchEntries || bytes >= options.batchBytes) resolve(out);
              else step();
            });
          };
          step();
        }),
      close: () => (ended ??= promisify((cb) => it.end(cb))),
    };
  }

  protected _clear(range: KeyRange): Promise<void> {
    const db = this.native;
    return promisify((cb) => db.clear(bufferBounds(range), cb));
  }
}

/** The bounds as Buffers (the binding stringifies anything else); the range has only set bounds. */
function bufferBounds(range: KeyRange): { gte?: Buffer; lt?: Buffer } {
  const out: { gte?: Buffer; lt?: Buffer } = {};
  if (range.gte !== undefined) out.gte = toBuffer(range.gte);
  if (range.lt !== undefined) out.lt = toBuffer(range.lt);
  return out;
}
