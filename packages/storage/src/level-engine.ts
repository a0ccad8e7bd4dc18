// The default engine: LevelDB through classic-level, keys and values as Uint8Array ('view'
// encoding). EngineBase does the checks, the lifecycle, group commit and the error mapping; this
// file is the backend. Batches go through level-native-batch.ts, the one file that uses
// classic-level's private API (and says why).
import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import type { BatchOp, Entry, KeyRange } from './engine.js';
import { toView } from './bytes.js';
import type { BatchCursorOptions, CursorOptions } from './cursor-iterable.js';
import { EngineBase } from './engine-base.js';
import type { GroupCommitStats } from './group-commit.js';
import { levelBatchWriter, type BatchPath, type LevelBatchWriter } from './level-native-batch.js';
import type { BatchCursor, Cursor } from './lifecycle.js';

type Db = ClassicLevel<Uint8Array, Uint8Array>;

/** One opening of the database: a ClassicLevel, and the batch writer bound to it. */
interface LevelNative {
  readonly db: Db;
  readonly batches: LevelBatchWriter;
}

/**
 * LevelDB's memtable. Its 4 MiB default (2011) flushes and compacts a small, hot data set over and
 * over; 32 MiB absorbs overwrites in memory (RocksDB's default is 64 MiB) and costs that much RAM.
 */
const WRITE_BUFFER_BYTES = 32 * 1024 * 1024;

/**
 * LevelDB maps each table it holds open into memory (mmap, up to 1000 of them on 64 bits) and a
 * scan (a tree rebuild, a stream) touches every page of it: with its default 1000 open files the
 * whole store ends up resident (1.45 GB of RSS at 10M keys). Open tables, and so resident table
 * pages, are bounded by max_open_files less the 10 it keeps for other files: 74 is LevelDB's
 * minimum (64 tables), at 1 MiB a table (half its 2 MiB default, so a table opened again for a
 * read costs half as much) at most 64 MiB whatever the store's size (issue 17 item 5).
 */
const MAX_OPEN_FILES = 74;
const MAX_TABLE_FILE_BYTES = 1024 * 1024;

export class LevelEngine extends EngineBase<'level', LevelNative> {
  private batchPathNow: BatchPath | undefined;

  constructor(readonly location: string) {
    super('level', { location, groupCommit: true });
  }

  get groupCommitStats(): Readonly<GroupCommitStats> {
    return this.committer.stats;
  }

  /**
   * How batches reach LevelDB since the last open: 'native' (classic-level's chained batch, the
   * measured fast path) or 'public' (its batch(), with the reason the native hooks were not
   * usable). Undefined before the first open.
   */
  get batchPath(): BatchPath | undefined {
    return this.batchPathNow;
  }

  protected async _open(): Promise<LevelNative> {
    await mkdir(this.location, { recursive: true });
    // A new ClassicLevel per opening (it opens itself when made, hence not in the constructor).
    const db = new ClassicLevel<Uint8Array, Uint8Array>(this.location, {
      keyEncoding: 'view', valueEncoding: 'view', writeBufferSize: WRITE_BUFFER_BYTES, maxOpenFiles: MAX_OPEN_FILES, maxFileSize: MAX_TABLE_FILE_BYTES,
    });
    await db.open({ createIfMissing: true });
    // Native batches belong to this opening of the database.
    const batches = levelBatchWriter(db);
    this.batchPathNow = batches.status;
    return { db, batches };
  }

  protected _close(native: LevelNative): Promise<void> {
    return native.db.close();
  }

  protected async _get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const value = await this.native.db.get(key);
    return value === undefined ? undefined : toView(value);
  }

  protected async _getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const values = await this.native.db.getMany(keys as Uint8Array[]);
    return values.map((v) => (v === undefined ? undefined : toView(v)));
  }

  protected _batch(ops: readonly BatchOp[], sync: boolean): Promise<void> {
    return this.native.batches.write(ops, sync);
  }

  protected _iterator(options: CursorOptions): Cursor {
    const it = this.native.db.iterator(options);
    return {
      next: async () => {
        const entry = await it.next();
        return entry === undefined ? undefined : ([toView(entry[0]), toView(entry[1])] as Entry);
      },
      close: () => it.close(),
    };
  }

  protected _batchIterator(options: BatchCursorOptions): BatchCursor {
    const { batchEntries, batchBytes, ...rest } = options;
    // classic-level's nextv(n) fills one array in its thread pool, n entries at most, stopping
    // once the bytes read pass highWaterMarkBytes: past batchBytes - 1 is at batchBytes.
    const it = this.native.db.iterator({ ...rest, highWaterMarkBytes: batchBytes - 1 });
    return {
      nextBatch: async () => {
        const entries = await it.nextv(batchEntries);
        for (const entry of entries) {
          entry[0] = toView(entry[0]);
          entry[1] = toView(entry[1]);
        }
        return entries;
      },
      close: () => it.close(),
    };
  }

  protected _clear(range: KeyRange): Promise<void> {
    return this.native.db.clear(range);
  }
}
