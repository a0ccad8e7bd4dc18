// The in-memory engine for tests and the deterministic simulator. Besides the live data it keeps
// what a disk would hold after a power cut: writes are only durable once a synced write follows
// them (as an fsync of a write-ahead log makes everything before it durable). crash() throws away
// every write that is not durable yet and leaves the engine closed; open() brings it back with
// what survived. The same object is the same "disk": close() then open() keeps everything, since
// a clean close leaves the data in the OS page cache, but a crash() after a close() still loses
// what was never synced.
import type { BatchOp, Engine, Entry, IterateOptions, KeyRange, WriteOptions } from './engine.js';
import { checkKey, checkOps, checkRange, copyBytes } from './bytes.js';
import { cursorIterable } from './cursor-iterable.js';
import { Lifecycle } from './lifecycle.js';
import { SortedMap } from './sorted-map.js';

type LoggedWrite = BatchOp | { type: 'range'; range: KeyRange };

export interface MemoryEngineStats {
  /** Writes held only in memory: a crash() now would lose them. */
  unsyncedWrites: number;
  /** Synced writes so far (each makes every earlier write durable). */
  syncs: number;
  /** Number of crash() calls. */
  crashes: number;
}

export class MemoryEngine implements Engine {
  readonly kind = 'memory' as const;
  private readonly lifecycle = new Lifecycle('memory');
  private live = new SortedMap();
  /** What survives a crash. */
  private durable = new SortedMap();
  /** Writes since the last sync, in order; replayed onto `durable` at the next sync. */
  private unsynced: LoggedWrite[] = [];
  private syncs = 0;
  private crashes = 0;

  open(): Promise<void> {
    return this.lifecycle.open(async () => undefined);
  }

  close(): Promise<void> {
    return this.lifecycle.close(async () => undefined);
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.lifecycle.run('get', async () => {
      checkKey(key);
      const value = this.live.get(key);
      return value === undefined ? undefined : copyBytes(value);
    });
  }

  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.lifecycle.run('getMany', async () => {
      for (const key of keys) checkKey(key);
      return keys.map((key) => {
        const value = this.live.get(key);
        return value === undefined ? undefined : copyBytes(value);
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
    return this.lifecycle.run('batch', async () => {
      checkOps(ops);
      // Copies, so a caller reusing its buffers cannot change stored data.
      const owned: BatchOp[] = ops.map((op) =>
        op.type === 'put'
          ? { type: 'put', key: copyBytes(op.key), value: copyBytes(op.value) }
          : { type: 'del', key: copyBytes(op.key) },
      );
      for (const op of owned) apply(this.live, op);
      this.log(owned, options?.sync === true);
    });
  }

  iterate(options: IterateOptions = {}): AsyncIterable<Entry> {
    return cursorIterable(this.lifecycle, options, (opts) => {
      // A snapshot at the first next(), as LevelDB iterators read from an implicit snapshot.
      const entries = this.live.entries(opts, opts.reverse === true, opts.limit ?? -1);
      let i = 0;
      return {
        next: async () => {
          if (i >= entries.length) return undefined;
          const [k, v] = entries[i++];
          return [copyBytes(k), copyBytes(v)];
        },
        close: async () => undefined,
      };
    });
  }

  deleteRange(range: KeyRange, options?: WriteOptions): Promise<void> {
    return this.lifecycle.run('deleteRange', async () => {
      checkRange(range);
      const owned: KeyRange = {
        gte: range.gte === undefined ? undefined : copyBytes(range.gte),
        lt: range.lt === undefined ? undefined : copyBytes(range.lt),
      };
      this.live.deleteRange(owned);
      this.log([{ type: 'range', range: owned }], options?.sync === true);
    });
  }

  /**
   * Simulates a power cut: every write not followed by a synced write is lost, and the engine
   * is closed (operations in flight finish first, as they would have reached the page cache).
   * open() afterwards serves what survived. Works whether the engine is open or closed.
   */
  async crash(): Promise<void> {
    await this.close();
    this.crashes++;
    this.unsynced = [];
    this.live = this.durable.clone();
  }

  /** Makes every write so far durable, as a synced write would. */
  sync(): Promise<void> {
    return this.lifecycle.run('sync', async () => this.log([], true));
  }

  get stats(): MemoryEngineStats {
    return { unsyncedWrites: this.unsynced.length, syncs: this.syncs, crashes: this.crashes };
  }

  private log(writes: LoggedWrite[], sync: boolean): void {
    for (const w of writes) this.unsynced.push(w);
    if (!sync) return;
    for (const w of this.unsynced) apply(this.durable, w);
    this.unsynced = [];
    this.syncs++;
  }
}

function apply(map: SortedMap, write: LoggedWrite): void {
  if (write.type === 'put') map.set(write.key, write.value);
  else if (write.type === 'del') map.delete(write.key);
  else map.deleteRange(write.range);
}
