// Bodies of the replication messages, and their checks. Records travel in their storage encoding
// (record-codec), which carries its own checksum.
import { decodeRecord, encodeRecord, type StoredRecord } from '@ringkv/core';
import { PeerMessageType } from '../peer/message-types.js';
import type { PeerBody } from '../peer/transport.js';

export interface ReplicaWriteBody extends PeerBody {
  type: typeof PeerMessageType.ReplicaWrite;
  partition: number;
  key: Uint8Array;
  record: Uint8Array;
  /** Keep it as a hint for this node instead of applying it. */
  hintFor?: string;
}

export interface ReplicaReadBody extends PeerBody {
  type: typeof PeerMessageType.ReplicaRead;
  partition: number;
  key: Uint8Array;
}

export interface ReplicaReadReplyBody extends PeerBody {
  type: typeof PeerMessageType.ReplicaReadReply;
  record?: Uint8Array;
}

export function replicaWrite(partition: number, key: Uint8Array, record: StoredRecord, hintFor?: string): ReplicaWriteBody {
  const body: ReplicaWriteBody = { type: PeerMessageType.ReplicaWrite, partition, key, record: encodeRecord(record) };
  if (hintFor !== undefined) body.hintFor = hintFor;
  return body;
}

export function replicaRead(partition: number, key: Uint8Array): ReplicaReadBody {
  return { type: PeerMessageType.ReplicaRead, partition, key };
}

export function readReplyRecord(body: PeerBody): StoredRecord | undefined {
  const rec = (body as ReplicaReadReplyBody).record;
  return rec === undefined || rec === null ? undefined : decodeRecord(toBytes(rec, 'record'));
}

export function toBytes(v: unknown, field: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new TypeError(`field ${field} must be bytes`);
}

export function checkPartition(v: unknown, partitions: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= partitions) {
    throw new TypeError(`partition ${String(v)} out of range`);
  }
  return v;
}
