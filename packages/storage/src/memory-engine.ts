// The in-memory engine for tests and the deterministic simulator, as an EngineBase backend.
// Besides the live data it keeps what a disk would hold after a power cut: writes are only
// durable once a synced write follows them (as an fsync of a write-ahead log makes everything
// before it durable). crash() throws away every write that is not durable yet and leaves the
// engine closed; open() brings it back with what survived. The same object is the same "disk":
// close() then open() keeps everything, since a clean close leaves the data in the OS page cache,
// but a crash() after a close() still loses what was never synced.
import type { BatchOp, KeyRange } from './engine.js';
import { copyBytes } from './bytes.js';
import type { BatchCursorOptions, CursorOptions } from './cursor-iterable.js';
import { EngineBase } from './engine-base.js';
import type { BatchCursor, Cursor } from './lifecycle.js';
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

/** Its "native" handle is the live map of the current opening. */
export class MemoryEngine extends EngineBase<'memory', SortedMap> {
  /** What the page cache holds: survives close() and open(), not crash(). */
  private live = new SortedMap();
  /** What survives a crash. */
  private durable = new SortedMap();
  /** Writes since the last sync, in order; replayed onto `durable` at the next sync. */
  private unsynced: LoggedWrite[] = [];
  private syncs = 0;
  private crashes = 0;

  constructor() {
    // No group commit: a sync here costs nothing, and writes apply in call order.
    super('memory', { location: undefined, groupCommit: false });
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

  protected async _open(): Promise<SortedMap> {
    return this.live;
  }

  protected async _close(): Promise<void> {}

  protected async _get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const value = this.native.get(key);
    return value === undefined ? undefined : copyBytes(value);
  }

  protected async _getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const live = this.native;
    return keys.map((key) => {
      const value = live.get(key);
      return value === undefined ? undefined : copyBytes(value);
    });
  }

  protected async _batch(ops: readonly BatchOp[], sync: boolean): Promise<void> {
    // Copies, so a caller reusing its buffers cannot change stored data.
    const owned: BatchOp[] = ops.map((op) =>
      op.type === 'put'
        ? { type: 'put', key: copyBytes(op.key), value: copyBytes(op.value) }
        : { type: 'del', key: copyBytes(op.key) },
    );
    const live = this.native;
    for (const op of owned) apply(live, op);
    this.log(owned, sync);
  }

  protected _iterator(options: CursorOptions): Cursor {
    // A snapshot at the first next(), as LevelDB iterators read from an implicit snapshot.
    const entries = this.native.entries(options, options.reverse, options.limit);
    let i = 0;
    return {
      next: async () => {
        if (i >= entries.length) return undefined;
        const [k, v] = entries[i++];
        return [copyBytes(k), copyBytes(v)];
      },
      close: async () => undefined,
    };
  }

  protected _batchIterator(options: BatchCursorOptions): BatchCursor {
    const entries = this.native.entries(options, options.reverse, options.limit);
    let i = 0;
    return {
      nextBatch: async () => {
        const out: [Uint8Array, Uint8Array][] = [];
        for (let bytes = 0; i < entries.length && out.length < options.batchEntries && bytes < options.batchBytes;) {
          const [k, v] = entries[i++]!;
          out.push([copyBytes(k), copyBytes(v)]);
          bytes += k.length + v.length;
        }
        return out;
      },
      close: async () => undefined,
    };
  }

  protected async _clear(range: KeyRange): Promise<void> {
    const owned: KeyRange = {};
    if (range.gte !== undefined) owned.gte = copyBytes(range.gte);
    if (range.lt !== undefined) owned.lt = copyBytes(range.lt);
    this.native.deleteRange(owned);
    // Unsynced: a synced deleteRange follows this with its barrier write (EngineBase).
    this.log([{ type: 'range', range: owned }], false);
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
