// Hints: writes kept for a replica that could not take them, stored durably in the hints key space
// under (partition, target node, key) and handed back when the target is reachable again. A hint
// older than the hint window is dropped (anti-entropy repairs longer outages).
//
// Stored value: created-at ms (8 bytes, float64 BE) | record encoding.
//
// Bounded per target: the bytes held for one target (keys and values) stay within
// maxBytesPerTarget, as Cassandra's max_hints_size_per_host; a hint beyond it is refused
// (HINT_QUOTA_EXCEEDED), counted and left to anti-entropy. open() counts what the disk holds.
//
// A hint whose key or value does not decode can never be delivered: scan() reports it, deletes it
// and goes on with the hints after it.
import {
  RecordCorruptError, RecordTruncatedError, compareRecords, decodeRecord, encodeRecord, newerRecord, type StoredRecord,
} from '@ringkv/core';
import { hintKey, keyspaceRange, parseHintKey, parseLegacyHintKey, type BatchOp, type Engine, type Entry } from '@ringkv/storage';
import { HintQuotaExceededError } from './handoff-errors.js';

export { HintQuotaExceededError } from './handoff-errors.js';

export interface Hint {
  storageKey: Uint8Array;
  storedValue: Uint8Array;
  partition: number;
  target: string;
  key: Uint8Array;
  record: StoredRecord;
  createdAtMs: number;
}

export type HintDropReason = 'quota' | 'corrupt';

export interface HintStoreOptions {
  sync: boolean;
  /** Bytes of hints (key and stored value) kept for one target; 0: no limit. */
  maxBytesPerTarget: number;
  /** Told of each stored hint found undecodable (it is deleted); storageKey is the engine key. */
  onCorrupt?: (storageKey: Uint8Array, err: unknown) => void;
  /** Told of each hint dropped: refused for its target's quota, or deleted as undecodable (target undefined when its key does not parse). */
  onDropped?: (target: string | undefined, reason: HintDropReason) => void;
}

/** Legacy hints moved per engine batch by open(). */
const MIGRATE_PAGE_ENTRIES = 256;

export class HintStore {
  /** Serializes read-merge-write of hints so a newer hint is never overwritten by an older one. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Bytes held per target (only targets holding some): one entry per target, not per hint. */
  private readonly held = new Map<string, number>();
  private opened = false;

  constructor(private readonly engine: Engine, private readonly options: HintStoreOptions) {}

  /**
   * Call once before any other method: moves hints of the legacy layout into the current one,
   * then counts the bytes held per target (one pass over the hints).
   */
  open(): Promise<void> {
    return this.serialize(async () => {
      await this.migrateLegacy();
      this.held.clear();
      for await (const [storageKey, storedValue] of this.engine.iterate(keyspaceRange('hints'))) {
        const target = targetOf(storageKey);
        // A key that does not parse belongs to no target; scan() deletes it.
        if (target !== undefined) this.charge(target, storageKey.length + storedValue.length);
      }
      this.opened = true;
    });
  }

  /** Bytes of hints held for every target together (one addition per target). */
  totalBytes(): number {
    let sum = 0;
    for (const n of this.held.values()) sum += n;
    return sum;
  }

  /** Bytes of hints held for a target. */
  heldBytes(target: string): number {
    return this.held.get(target) ?? 0;
  }

  /**
   * Keeps a hint for target (the newer record if one is held for the key already). Rejects with
   * HintQuotaExceededError when it would take the target past maxBytesPerTarget; replacing a
   * hint counts only the difference in size.
   */
  store(partition: number, target: string, key: Uint8Array, record: StoredRecord, nowMs: number): Promise<void> {
    return this.serialize(async () => {
      this.checkOpen();
      const storageKey = hintKey(partition, target, key);
      const existing = await this.engine.get(storageKey);
      let old: { createdAtMs: number; record: StoredRecord } | undefined;
      let corrupt: unknown;
      try {
        old = existing === undefined ? undefined : decodeHintValue(existing);
      } catch (err) {
        corrupt = err; // replaced below, and reported once it is
      }
      const winner = newerRecord(old?.record, record)!;
      if (old && winner === old.record) return;
      const value = encodeHintValue(old?.createdAtMs ?? nowMs, winner);
      const growth = storageKey.length + value.length - (existing === undefined ? 0 : storageKey.length + existing.length);
      const heldNow = this.heldBytes(target);
      const limit = this.options.maxBytesPerTarget;
      if (limit > 0 && growth > 0 && heldNow + growth > limit) {
        this.options.onDropped?.(target, 'quota');
        throw new HintQuotaExceededError(target, heldNow, limit);
      }
      await this.engine.put(storageKey, value, { sync: this.options.sync });
      this.charge(target, growth);
      if (existing !== undefined && corrupt !== undefined) this.reportCorrupt(storageKey, target, corrupt);
    });
  }

  /**
   * Up to `limit` hints in key order, starting after `after` (exclusive) if given. Undecodable
   * hints met on the way are deleted and reported, and do not count towards `limit`.
   */
  async scan(limit: number, after?: Uint8Array): Promise<Hint[]> {
    this.checkOpen();
    const range = keyspaceRange('hints');
    const out: Hint[] = [];
    let gte = after ? successor(after) : range.gte!;
    // Each page starts past every entry the previous one read, so the loop ends; a page runs
    // short of `want` only at the end of the range, or when it dropped corrupt hints.
    while (out.length < limit) {
      const want = limit - out.length;
      const corrupt: { entry: Entry; err: unknown }[] = [];
      let read = 0;
      let last = gte;
      for await (const entry of this.engine.iterate({ gte, lt: range.lt, limit: want })) {
        read++;
        last = entry[0];
        try {
          out.push(decodeHint(entry[0], entry[1]));
        } catch (err) {
          corrupt.push({ entry, err });
        }
      }
      for (const { entry, err } of corrupt) await this.dropCorrupt(entry[0], entry[1], err);
      if (read < want || corrupt.length === 0) break;
      gte = successor(last);
    }
    return out;
  }

  /** Removes a hint unless it was replaced by a newer one meanwhile. */
  remove(hint: Hint): Promise<void> {
    return this.serialize(async () => {
      this.checkOpen();
      await this.removeIfUnchanged(hint.storageKey, hint.storedValue, hint.target);
    });
  }

  private dropCorrupt(storageKey: Uint8Array, storedValue: Uint8Array, err: unknown): Promise<void> {
    return this.serialize(async () => {
      const target = targetOf(storageKey);
      // Not if store() replaced it meanwhile: that one is good (and store() reported the bad one).
      if (await this.removeIfUnchanged(storageKey, storedValue, target)) this.reportCorrupt(storageKey, target, err);
    });
  }

  /** Deletes a key if it still holds `value`; releases its bytes from target. */
  private async removeIfUnchanged(storageKey: Uint8Array, value: Uint8Array, target: string | undefined): Promise<boolean> {
    const now = await this.engine.get(storageKey);
    if (now === undefined || Buffer.compare(Buffer.from(now), Buffer.from(value)) !== 0) return false;
    await this.engine.del(storageKey, { sync: this.options.sync });
    if (target !== undefined) this.charge(target, -(storageKey.length + now.length));
    return true;
  }

  private reportCorrupt(storageKey: Uint8Array, target: string | undefined, err: unknown): void {
    this.options.onCorrupt?.(storageKey, err);
    this.options.onDropped?.(target, 'corrupt');
  }

  /**
   * Moves every hint of the legacy layout (NUL after the target id) to the current one. A page at
   * a time, each one engine batch that writes the new keys and deletes the old ones, so a crash
   * leaves every hint in exactly one layout and the next open() goes on. A key that does not parse
   * as a legacy hint (a target that is not a valid node id) is dropped as corrupt. Should both
   * layouts hold a key (a downgrade wrote it again), the newer record stays.
   */
  private async migrateLegacy(): Promise<void> {
    const range = keyspaceRange('legacyHints');
    // Each page deletes every key it read, so the next one starts after it: at most one page per
    // MIGRATE_PAGE_ENTRIES legacy hints.
    for (;;) {
      const page: Entry[] = [];
      for await (const entry of this.engine.iterate({ ...range, limit: MIGRATE_PAGE_ENTRIES })) page.push(entry);
      if (page.length === 0) return;
      const ops: BatchOp[] = [];
      const moved: { key: Uint8Array; value: Uint8Array }[] = [];
      const dropped: { key: Uint8Array; err: unknown }[] = [];
      for (const [oldKey, value] of page) {
        ops.push({ type: 'del', key: oldKey });
        try {
          const { partition, targetNode, userKey } = parseLegacyHintKey(oldKey);
          moved.push({ key: hintKey(partition, targetNode, userKey), value });
        } catch (err) {
          dropped.push({ key: oldKey, err });
        }
      }
      const current = moved.length > 0 ? await this.engine.getMany(moved.map((m) => m.key)) : [];
      moved.forEach((m, i) => {
        if (legacyWins(m.value, current[i])) ops.push({ type: 'put', key: m.key, value: m.value });
      });
      await this.engine.batch(ops, { sync: this.options.sync });
      for (const d of dropped) this.reportCorrupt(d.key, undefined, d.err);
      if (page.length < MIGRATE_PAGE_ENTRIES) return;
    }
  }

  private charge(target: string, delta: number): void {
    const bytes = this.heldBytes(target) + delta;
    if (bytes > 0) this.held.set(target, bytes);
    else this.held.delete(target);
  }

  private checkOpen(): void {
    if (!this.opened) throw new TypeError('HintStore used before open()');
  }

  private serialize<T>(run: () => Promise<T>): Promise<T> {
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }
}

function decodeHint(storageKey: Uint8Array, storedValue: Uint8Array): Hint {
  const { partition, targetNode, userKey } = parseHintKey(storageKey);
  const { createdAtMs, record } = decodeHintValue(storedValue);
  return { storageKey, storedValue, partition, target: targetNode, key: userKey, record, createdAtMs };
}

/** The target of a hint key, or undefined when it does not parse. */
function targetOf(storageKey: Uint8Array): string | undefined {
  try {
    return parseHintKey(storageKey).targetNode;
  } catch {
    return undefined;
  }
}

/** Whether a migrated hint replaces what the current layout holds for its key (absent, undecodable or older). */
function legacyWins(legacy: Uint8Array, current: Uint8Array | undefined): boolean {
  if (current === undefined) return true;
  const decoded = (v: Uint8Array) => {
    try {
      return decodeHintValue(v).record;
    } catch {
      return undefined;
    }
  };
  const was = decoded(legacy);
  const now = decoded(current);
  if (was === undefined) return false;
  return now === undefined || compareRecords(was, now) > 0;
}

function encodeHintValue(createdAtMs: number, record: StoredRecord): Uint8Array {
  const rec = encodeRecord(record);
  const out = new Uint8Array(8 + rec.length);
  new DataView(out.buffer).setFloat64(0, createdAtMs);
  out.set(rec, 8);
  return out;
}

function decodeHintValue(bytes: Uint8Array): { createdAtMs: number; record: StoredRecord } {
  if (bytes.length < 8) throw new RecordTruncatedError(`hint value is ${bytes.length} bytes, shorter than its 8-byte creation time`);
  const createdAtMs = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(0);
  // The record's checksum does not cover the creation time: a garbled one must not keep a hint for ever.
  if (!Number.isFinite(createdAtMs) || createdAtMs < 0) throw new RecordCorruptError(`hint creation time ${createdAtMs} is invalid`);
  return { createdAtMs, record: decodeRecord(bytes.subarray(8)) };
}

/** The smallest key greater than k. */
function successor(k: Uint8Array): Uint8Array {
  const out = new Uint8Array(k.length + 1);
  out.set(k);
  return out;
}
