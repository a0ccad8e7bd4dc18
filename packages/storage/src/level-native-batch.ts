// The level engine's write path, and the only place storage uses classic-level's private API.
//
// What is private: ClassicLevel#_chainedBatch() and its ChainedBatch's _put, _del, _clear and
// _write. They are abstract-level's implementer hooks (its README's "Private API For
// Implementors"): classic-level implements them, and abstract-level's public batch methods call
// them after their own checks, encodings, prewrite hooks and 'write' events (this engine uses no
// hooks, events or sublevels). db.detachResource() is public but needed only because of them: a
// chained batch adds itself to its database's resource set when made, and ours are never closed
// (written, cleared and reused), so that Set would keep every one.
//
// Why (level-engine.ts history: b50ce8c, 7bfd95e, 107caa2, 987a823):
// - db.batch() clones, re-validates and re-encodes every op: a tenth of a busy node's main thread
//   under PUT load. Ours are checked already (EngineBase's checkOps) and the engine is open.
// - classic-level's array form (_batch) reads type, key and value of each op by name through
//   N-API: 1.6-2.2 us of main thread per op against 0.6 for the chained batch's one native call per
//   op with key and value as arguments (batches of 30). In-process PUT bench with this path:
//   19.6 -> 16.8 us CPU per op, 59.4k -> 67.7k ops/s.
// - A new native batch's memory is freed only when V8 collects its small JS wrapper, which V8
//   does not hurry for memory it cannot see; written batches are cleared and reused instead (up to
//   SPARE_BATCHES), which bounds it by construction (resident memory under load measured the same).
//
// Checked against classic-level 3.0.0 with abstract-level 3.1.1; packages/storage/package.json
// pins both to that minor (~3.0.0, ~3.1.1). The probe below checks every hook is classic-level's
// own, not abstract-level's default (whose chained-batch _put and _del are no-ops that would drop
// writes); if one is missing the engine writes through the public db.batch() and says so in
// LevelEngine#batchPath, and test/level-native-batch.test.ts fails until this file is checked
// against the new versions.
import { AbstractChainedBatch, AbstractLevel } from 'abstract-level';
import type { ClassicLevel } from 'classic-level';
import type { BatchOp } from './engine.js';

type Db = ClassicLevel<Uint8Array, Uint8Array>;

/** The versions this file was checked against (a test compares them with what is installed). */
export const CHECKED_VERSIONS = { 'classic-level': '3.0.0', 'abstract-level': '3.1.1' } as const;

/** How the level engine's batches reach LevelDB. */
export type BatchPath = { readonly path: 'native' } | { readonly path: 'public'; readonly reason: string };

export interface LevelBatchWriter {
  readonly status: BatchPath;
  /** Writes checked ops atomically (the native batch copies keys and values). */
  write(ops: readonly BatchOp[], sync: boolean): Promise<void>;
}

/** classic-level's ChainedBatch below abstract-level's checks: one native call per op. */
interface NativeChainedBatch {
  _put(key: Uint8Array, value: Uint8Array): void;
  _del(key: Uint8Array): void;
  _clear(): void;
  _write(options: { sync: boolean }): Promise<void>;
}

interface NativeDb {
  _chainedBatch(): NativeChainedBatch;
  detachResource(resource: unknown): void;
}

const BATCH_HOOKS = ['_put', '_del', '_clear', '_write'] as const;

/**
 * Native batches kept for reuse once written and cleared. A few suffice (writes are mostly one at
 * a time); each keeps the capacity of the largest batch it held.
 */
const SPARE_BATCHES = 4;

/** The native binding reads only `sync`; one object each instead of one per write. */
const SYNCED = Object.freeze({ sync: true });
const UNSYNCED = Object.freeze({ sync: false });

/** The writer for one opening of an open database: the native path when it is there. */
export function levelBatchWriter(db: Db): LevelBatchWriter {
  const missing = missingDbHooks(db);
  if (missing !== undefined) return new PublicBatchWriter(db, missing);
  const native = db as unknown as NativeDb;
  const first = native._chainedBatch();
  native.detachResource(first);
  const missingInBatch = missingBatchHooks(first);
  if (missingInBatch !== undefined) return new PublicBatchWriter(db, missingInBatch);
  return new NativeBatchWriter(native, first);
}

function missingDbHooks(db: Db): string | undefined {
  // The same copy of abstract-level as classic-level's, or the comparisons below mean nothing.
  if (!(db instanceof AbstractLevel)) return 'classic-level is built on another copy of abstract-level than the one storage pins';
  const own = (db as unknown as Partial<NativeDb>)._chainedBatch;
  const inherited = (AbstractLevel.prototype as unknown as Partial<NativeDb>)._chainedBatch;
  if (typeof own !== 'function' || own === inherited) return 'classic-level does not implement _chainedBatch';
  if (typeof (db as unknown as Partial<NativeDb>).detachResource !== 'function') return 'abstract-level has no detachResource';
  return undefined;
}

function missingBatchHooks(batch: NativeChainedBatch): string | undefined {
  if (!(batch instanceof AbstractChainedBatch)) return 'classic-level\'s _chainedBatch() made no abstract-level chained batch';
  const base = AbstractChainedBatch.prototype as unknown as Record<string, unknown>;
  const own = batch as unknown as Record<string, unknown>;
  for (const hook of BATCH_HOOKS) {
    if (typeof own[hook] !== 'function' || own[hook] === base[hook]) return `classic-level's chained batch does not implement ${hook}`;
  }
  return undefined;
}

class NativeBatchWriter implements LevelBatchWriter {
  readonly status: BatchPath = { path: 'native' };
  private readonly spare: NativeChainedBatch[];

  constructor(
    private readonly db: NativeDb,
    first: NativeChainedBatch,
  ) {
    this.spare = [first];
  }

  async write(ops: readonly BatchOp[], sync: boolean): Promise<void> {
    let batch = this.spare.pop();
    if (batch === undefined) {
      batch = this.db._chainedBatch();
      this.db.detachResource(batch);
    }
    for (const op of ops) {
      if (op.type === 'put') batch._put(op.key, op.value);
      else batch._del(op.key);
    }
    await batch._write(sync ? SYNCED : UNSYNCED);
    // Only a batch whose write succeeded is reused (a failed one is dropped with its ops).
    batch._clear();
    if (this.spare.length < SPARE_BATCHES) this.spare.push(batch);
  }
}

/** The public API: slower (see above) but needs nothing private. */
class PublicBatchWriter implements LevelBatchWriter {
  readonly status: BatchPath;

  constructor(
    private readonly db: Db,
    reason: string,
  ) {
    this.status = { path: 'public', reason };
  }

  write(ops: readonly BatchOp[], sync: boolean): Promise<void> {
    return this.db.batch([...ops], { sync });
  }
}
