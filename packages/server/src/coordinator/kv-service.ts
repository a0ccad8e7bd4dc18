// What the client API asks of the node's data path. The single-node implementation answers from
// the local replica; the coordinator implements the same interface over N replicas.
import type { StoredRecord, Timestamp } from '@ringkv/core';

export interface WriteOptions {
  /** The raw `w` query value (a number, `one`, `quorum` or `all`), validated by the service. */
  w?: string;
  ttlSeconds?: number;
  strict?: boolean;
}

export interface ReadOptions {
  r?: string;
}

export interface KvService {
  put(key: Uint8Array, value: Uint8Array, options: WriteOptions): Promise<{ ts: Timestamp }>;
  delete(key: Uint8Array, options: WriteOptions): Promise<{ ts: Timestamp }>;
  /** The newest live record, or undefined when absent, deleted or expired. */
  get(key: Uint8Array, options: ReadOptions): Promise<StoredRecord | undefined>;
  /** This node's own replica only: no coordination, no repair; tombstones included. */
  getLocal(key: Uint8Array): Promise<StoredRecord | undefined>;
}
