// A stored record's bytes as a record, or absent when they do not decode (issue 14: a corrupt
// record costs only its own key; the next write replaces it, anti-entropy brings the winner back).
import { decodeRecord, type StoredRecord } from '@ringkv/core';
import { parseDataKey } from '@ringkv/storage';

/** Told of a stored record that fails to decode; key is the user key (a view: copy it to keep it). */
export type CorruptRecordListener = (partition: number, key: Uint8Array, err: unknown) => void;

/** The try costs nothing while nothing throws, and the key is parsed only then. */
export function decodeStored(storageKey: Uint8Array, bytes: Uint8Array, onCorrupt: CorruptRecordListener | undefined): StoredRecord | undefined {
  try {
    return decodeRecord(bytes);
  } catch (err) {
    const { partition, userKey } = parseDataKey(storageKey);
    onCorrupt?.(partition, userKey, err);
    return undefined;
  }
}
