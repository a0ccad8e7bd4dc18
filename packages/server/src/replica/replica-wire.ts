// Bodies of the replication messages. Records travel in their storage encoding (record-codec),
// which carries its own checksum; the schemas of these messages are in protocol/peer-messages.ts.
import { decodeRecord, encodeRecord, type StoredRecord } from '@ringkv/core';
import { PeerMessageType as T } from '../peer/message-types.js';
import type { ReplyOf, RequestOf } from '../protocol/peer-messages.js';

export type ReplicaWriteBody = RequestOf<typeof T.ReplicaWrite>;
export type ReplicaReadBody = RequestOf<typeof T.ReplicaRead>;

export function replicaWrite(partition: number, key: Uint8Array, record: StoredRecord, hintFor?: string): ReplicaWriteBody {
  const body: ReplicaWriteBody = { type: T.ReplicaWrite, partition, key, record: encodeRecord(record) };
  if (hintFor !== undefined) body.hintFor = hintFor;
  return body;
}

export function replicaRead(partition: number, key: Uint8Array): ReplicaReadBody {
  return { type: T.ReplicaRead, partition, key };
}

/** The record of a read reply (checksum verified), or undefined when the replica has none. */
export function readReplyRecord(reply: ReplyOf<typeof T.ReplicaRead>): StoredRecord | undefined {
  return reply.record === undefined ? undefined : decodeRecord(reply.record);
}
