// Hints: writes kept for a replica that could not take them, stored durably in the hints key space
// under (partition, target node, key) and handed back when the target is reachable again. A hint
// older than the hint window is dropped (anti-entropy repairs longer outages).
//
// Stored value: created-at ms (8 bytes, float64 BE) | record encoding.
import { decodeRecord, encodeRecord, newerRecord, type StoredRecord } from '@ringkv/core';
import { hintKey, keyspaceRange, parseHintKey, type Engine } from '@ringkv/storage';

export interface Hint {
  storageKey: Uint8Array;
  storedValue: Uint8Array;
  partition: number;
  target: string;
  key: Uint8Array;
  record: StoredRecord;
  createdAtMs: number;
}

export class HintStore {
  /** Serializes read-merge-write of hints so a newer hint is never overwritten by an older one. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly engine: Engine, private readonly sync: boolean) {}

  store(partition: number, target: string, key: Uint8Array, record: StoredRecord, nowMs: number): Promise<void> {
    const run = async () => {
      const storageKey = hintKey(partition, target, key);
      const existing = await this.engine.get(storageKey);
      const old = existing ? decodeHintValue(existing) : undefined;
      const winner = newerRecord(old?.record, record)!;
      if (old && winner === old.record) return;
      await this.engine.put(storageKey, encodeHintValue(old?.createdAtMs ?? nowMs, winner), { sync: this.sync });
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Up to `limit` hints in key order, starting after `after` (exclusive) if given. */
  async scan(limit: number, after?: Uint8Array): Promise<Hint[]> {
    const range = keyspaceRange('hints');
    const out: Hint[] = [];
    const gte = after ? successor(after) : range.gte;
    for await (const [storageKey, storedValue] of this.engine.iterate({ gte, lt: range.lt, limit })) {
      const { partition, targetNode, userKey } = parseHintKey(storageKey);
      const { createdAtMs, record } = decodeHintValue(storedValue);
      out.push({ storageKey, storedValue, partition, target: targetNode, key: userKey, record, createdAtMs });
    }
    return out;
  }

  /** Removes a hint unless it was replaced by a newer one meanwhile. */
  remove(hint: Hint): Promise<void> {
    const run = async () => {
      const now = await this.engine.get(hint.storageKey);
      if (now && Buffer.compare(Buffer.from(now), Buffer.from(hint.storedValue)) === 0) {
        await this.engine.del(hint.storageKey, { sync: this.sync });
      }
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }
}

function encodeHintValue(createdAtMs: number, record: StoredRecord): Uint8Array {
  const rec = encodeRecord(record);
  const out = new Uint8Array(8 + rec.length);
  new DataView(out.buffer).setFloat64(0, createdAtMs);
  out.set(rec, 8);
  return out;
}

function decodeHintValue(bytes: Uint8Array): { createdAtMs: number; record: StoredRecord } {
  const createdAtMs = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(0);
  return { createdAtMs, record: decodeRecord(bytes.subarray(8)) };
}

/** The smallest key greater than k. */
function successor(k: Uint8Array): Uint8Array {
  const out = new Uint8Array(k.length + 1);
  out.set(k);
  return out;
}
