// Reads of this node's replica: from the record cache, or else from the engine, where the misses
// of one event-loop turn share one getMany (one trip to the engine's thread pool, not one each).
// A record read from the engine is verified (checksum) once, here, before it is cached, so a cache
// hit needs no check. A read that saw a commit land while it was in the engine may hold the value
// that commit replaced: it is answered but not cached.
import type { StoredRecord } from '@ringkv/core';
import { dataKey, type Engine } from '@ringkv/storage';
import type { NextTurn } from '../clock.js';
import type { RecordCache } from './record-cache.js';
import { storageId } from './storage-id.js';
import { decodeStored, type CorruptRecordListener } from './stored-record.js';

interface PendingRead {
  id: string;
  key: Uint8Array;
  resolve: (v: StoredRecord | null) => void;
  reject: (e: unknown) => void;
}

export interface ReadBatcherDeps {
  engine: Pick<Engine, 'getMany'>;
  cache: RecordCache;
  nextTurn: NextTurn;
  /** Engine reads per getMany, at most. */
  maxBatch: number;
  /** Commits written so far, and whether the store still writes (a cacheable read needs both unchanged). */
  commits: () => number;
  failed: () => boolean;
  onCorrupt?: CorruptRecordListener;
}

export class ReadBatcher {
  private reads: PendingRead[] = [];
  private scheduled = false;

  constructor(private readonly deps: ReadBatcherDeps) {}

  /** The key's record, null when absent (or its bytes do not decode). */
  read(partition: number, key: Uint8Array): Promise<StoredRecord | null> {
    const storageKey = dataKey(partition, key);
    const id = storageId(storageKey);
    const cached = this.deps.cache.lookup(id);
    if (cached !== undefined) return Promise.resolve(cached);
    return new Promise((resolve, reject) => {
      // dataKey's bytes are a view of a slab never handed out twice: valid until the read is done.
      this.reads.push({ id, key: storageKey, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        this.deps.nextTurn(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const { engine, cache, maxBatch } = this.deps;
    while (this.reads.length > 0) {
      const batch = this.reads.splice(0, maxBatch);
      const commitsBefore = this.deps.commits();
      engine.getMany(batch.map((r) => r.key)).then(
        (values) => {
          const cacheable = this.deps.commits() === commitsBefore && !this.deps.failed();
          batch.forEach((r, i) => {
            const bytes = values[i];
            const entry = bytes === undefined ? null : (decodeStored(r.key, bytes, this.deps.onCorrupt) ?? null);
            if (cacheable) cache.set(r.id, entry);
            r.resolve(entry);
          });
        },
        (err: unknown) => batch.forEach((r) => r.reject(err)),
      );
    }
  }
}
