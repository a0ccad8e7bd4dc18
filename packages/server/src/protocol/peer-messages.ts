// Every peer message, request and reply, as a schema: shapes, types and ranges (safe integers,
// byte lengths, partition < Q, known enums). The limits come from the node's configuration, so a
// key longer than maxKeyBytes or a partition outside 0..Q-1 is refused before any handler runs.
// The message type numbers are message-types.ts's (append only). Bodies may carry fields a newer
// version added: they are ignored, not refused, so neighbouring versions keep talking.
import { RECORD_MIN_SIZE } from '@ringkv/core';
import { PeerMessageType as T } from '../peer/message-types.js';
import { Address, Bytes, ErrorCode, NodeId, SafeInt, Type, Zone, type Static } from './schema-kit.js';
import { selfStatusSchema } from './self-status-schema.js';

export interface ProtocolLimits {
  /** Q of the cluster: partitions are 0..Q-1. */
  partitions: number;
  maxKeyBytes: number;
  maxValueBytes: number;
}

/** A record's encoding around its value: header, expiry, length and checksum (record-codec.ts). */
export const RECORD_OVERHEAD_BYTES = RECORD_MIN_SIZE + 6;
/** The most a stream chunk may be asked to hold (a node asks for streamChunkBytes, at most 8 MiB). */
export const STREAM_CHUNK_MAX_BYTES = 8 * 1024 * 1024;
/** Chunks one stream manifest lists at most (handoff/stream-manifest.ts). */
export const STREAM_MANIFEST_CHUNKS_MAX = 32;
/** Entries of one message (stream chunk, anti-entropy step); the frame cap bounds their bytes anyway. */
const ENTRIES_MAX = 1 << 20;
/** Partitions one MerkleRoots request asks about at most (8 KiB of hashes in the reply). */
export const MERKLE_ROOTS_MAX = 1024;
/** Members of a cluster, voters and learners included: far above any real cluster. */
export const MEMBERS_MAX = 4096;
/** One Raft entry holds one membership command (JSON of a few hundred bytes). */
const RAFT_ENTRY_MAX_BYTES = 64 * 1024;

/** Bytes of a membership state's JSON at most: the preference lists dominate (Q lists of N ids). */
export function membershipStateMaxBytes(partitions: number): number {
  return partitions * 16 * 66 + MEMBERS_MAX * 400 + 64 * 1024;
}

/** The schemas, built for one node's limits. */
export function peerSchemas(l: ProtocolLimits) {
  const Partition = SafeInt(0, l.partitions - 1);
  const Key = Bytes(1, l.maxKeyBytes);
  const RecordBytes = Bytes(RECORD_MIN_SIZE, l.maxValueBytes + RECORD_OVERHEAD_BYTES);
  const Entry = Type.Tuple([Key, RecordBytes]);
  const Epoch = SafeInt();
  const Keys = Type.Array(Key, { maxItems: ENTRIES_MAX });
  const Records = Type.Array(RecordBytes, { maxItems: ENTRIES_MAX });
  const NullableKey = Type.Union([Key, Type.Null()]);
  const Hash = Bytes(32, 32);
  const TreeShape = { buckets: SafeInt(1, 1 << 20), fanout: Type.Optional(SafeInt(2, 1 << 16)) };

  // Entries are checked one by one (peer-protocol.ts): one bad entry costs only itself.
  const Digest = Type.Object({ from: NodeId, members: Type.Array(Type.Unknown(), { maxItems: MEMBERS_MAX }) });

  const RaftEntry = Type.Object({
    term: SafeInt(), index: SafeInt(),
    type: Type.Union([Type.Literal('normal'), Type.Literal('confChange')]),
    data: Bytes(0, RAFT_ENTRY_MAX_BYTES),
  });
  const RaftSnapshot = Type.Object({
    metadata: Type.Object({
      index: SafeInt(), term: SafeInt(),
      confState: Type.Object({ voters: Type.Array(NodeId, { maxItems: 64 }), learners: Type.Array(NodeId, { maxItems: MEMBERS_MAX }) }),
    }),
    data: Bytes(0, membershipStateMaxBytes(l.partitions)),
  });
  const RaftMessage = Type.Object({
    type: SafeInt(1, 10),
    term: SafeInt(), from: NodeId, to: NodeId,
    index: Type.Optional(SafeInt()), logTerm: Type.Optional(SafeInt()), commit: Type.Optional(SafeInt()),
    entries: Type.Optional(Type.Array(RaftEntry, { maxItems: 1024 })),
    reject: Type.Optional(Type.Boolean()), rejectHint: Type.Optional(SafeInt()),
    snapshot: Type.Optional(RaftSnapshot), transfer: Type.Optional(Type.Boolean()),
  });

  return {
    [T.Ping]: {
      request: Type.Object({ type: Type.Literal(T.Ping) }),
      reply: Type.Object({
        type: Type.Literal(T.Pong), id: NodeId, peer: Address, http: Address, zone: Type.Optional(Zone),
        partitions: SafeInt(1, 65536), replicas: SafeInt(1, 16), epoch: Epoch,
        /** The replier's wall clock when it answered (clock offset measurement). */
        nowMs: Type.Optional(SafeInt()),
      }),
    },
    [T.ReplicaWrite]: {
      request: Type.Object({
        type: Type.Literal(T.ReplicaWrite), partition: Partition, key: Key, record: RecordBytes,
        /** Keep it as a hint for this node instead of applying it. */
        hintFor: Type.Optional(NodeId),
      }),
      reply: Type.Object({ type: Type.Literal(T.ReplicaWriteAck) }),
    },
    [T.ReplicaRead]: {
      request: Type.Object({ type: Type.Literal(T.ReplicaRead), partition: Partition, key: Key }),
      reply: Type.Object({ type: Type.Literal(T.ReplicaReadReply), record: Type.Optional(RecordBytes) }),
    },
    [T.Gossip]: {
      request: Type.Object({ type: Type.Literal(T.Gossip), digest: Digest }),
      reply: Type.Object({
        type: Type.Literal(T.GossipAck), digest: Digest,
        /** The replier's wall clock when it answered (clock offset measurement). */
        atMs: Type.Optional(SafeInt()),
      }),
    },
    [T.Raft]: {
      request: Type.Object({ type: Type.Literal(T.Raft), msg: RaftMessage }),
      reply: Type.Object({ type: Type.Literal(T.RaftAck) }),
    },
    [T.MembershipGet]: {
      request: Type.Object({ type: Type.Literal(T.MembershipGet) }),
      // The state itself is checked by membershipStateShapeError (peer-protocol.ts).
      reply: Type.Object({ type: Type.Literal(T.MembershipReply), state: Type.Union([Type.Object({}), Type.Null()]) }),
    },
    [T.MembershipChange]: {
      request: Type.Object({
        type: Type.Literal(T.MembershipChange), cmd: MembershipCommandSchema,
        /** Skip the liveness check of a remove (the operator said --force at the edge). */
        force: Type.Optional(Type.Boolean()),
      }),
      reply: Type.Object({
        type: Type.Literal(T.MembershipChangeReply), ok: Type.Boolean(), epoch: Type.Optional(Epoch),
        code: Type.Optional(ErrorCode), reason: Type.Optional(Type.String({ maxLength: 4096 })),
        /** Refused because it already holds (a retried join): the joiner is a member. */
        inEffect: Type.Optional(Type.Boolean()),
      }),
    },
    [T.MerkleLevel]: {
      request: Type.Object({
        type: Type.Literal(T.MerkleLevel), partition: Partition, ...TreeShape,
        depth: SafeInt(0, 64), indexes: Type.Array(SafeInt(0, 1 << 20), { minItems: 1, maxItems: 1 << 16 }),
      }),
      reply: Type.Object({ type: Type.Literal(T.MerkleLevelReply), ready: Type.Boolean(), hashes: Type.Optional(Bytes(0, 8 << 16)) }),
    },
    [T.MerkleRoots]: {
      // Partitions as 4 bytes each, states as 1 byte and hashes as 8 bytes per partition asked, in
      // the request's order (ae-wire.ts checks both against the request).
      request: Type.Object({ type: Type.Literal(T.MerkleRoots), ...TreeShape, partitions: Bytes(4, 4 * MERKLE_ROOTS_MAX) }),
      reply: Type.Object({
        type: Type.Literal(T.MerkleRootsReply), states: Bytes(0, MERKLE_ROOTS_MAX), hashes: Bytes(0, 8 * MERKLE_ROOTS_MAX),
      }),
    },
    [T.BucketEntries]: {
      request: Type.Object({
        type: Type.Literal(T.BucketEntries), partition: Partition, ...TreeShape,
        bucketList: Bytes(0, 4 << 20), after: NullableKey, upTo: NullableKey, keys: Keys, records: Records,
      }),
      reply: Type.Object({
        type: Type.Literal(T.BucketEntriesReply), ready: Type.Boolean(), keys: Keys, records: Records,
        resumeAfter: NullableKey, applied: SafeInt(),
      }),
    },
    [T.StreamPartition]: {
      request: Type.Object({
        type: Type.Literal(T.StreamPartition), partition: Partition, maxBytes: SafeInt(1, STREAM_CHUNK_MAX_BYTES), after: Type.Optional(Key),
      }),
      reply: Type.Object({ type: Type.Literal(T.StreamPartitionChunk), entries: Type.Array(Entry, { maxItems: ENTRIES_MAX }), done: Type.Boolean() }),
    },
    [T.StreamManifest]: {
      request: Type.Object({
        type: Type.Literal(T.StreamManifest), partition: Partition, after: Type.Optional(Key),
        chunkBytes: SafeInt(1, STREAM_CHUNK_MAX_BYTES), maxChunks: SafeInt(1, STREAM_MANIFEST_CHUNKS_MAX),
      }),
      reply: Type.Object({
        type: Type.Literal(T.StreamManifestReply),
        /** The Merkle root over the leaves; absent when nothing follows `after`. */
        root: Type.Optional(Hash),
        /** Each chunk's last key and leaf (SHA-256 of its packing), in key order. */
        chunks: Type.Array(Type.Tuple([Key, Hash]), { maxItems: STREAM_MANIFEST_CHUNKS_MAX }),
        /** No entries after the last chunk. */
        done: Type.Boolean(),
      }),
    },
    [T.StreamChunk]: {
      request: Type.Object({
        type: Type.Literal(T.StreamChunk), partition: Partition, after: Type.Optional(Key), last: Key, leaf: Hash,
        chunkBytes: SafeInt(1, STREAM_CHUNK_MAX_BYTES),
      }),
      reply: Type.Object({
        type: Type.Literal(T.StreamChunkReply),
        /** The range no longer holds what the manifest listed (written since): ask for a new manifest. */
        stale: Type.Boolean(),
        /** The chunk's entries packed (handoff/chunk-codec.ts): up to chunkBytes, or one entry. */
        packed: Type.Optional(Bytes(0, STREAM_CHUNK_MAX_BYTES + 8 + l.maxKeyBytes + l.maxValueBytes + RECORD_OVERHEAD_BYTES)),
      }),
    },
    [T.StreamPush]: {
      request: Type.Object({ type: Type.Literal(T.StreamPush), partition: Partition, entries: Type.Array(Entry, { maxItems: ENTRIES_MAX }), last: Type.Boolean() }),
      reply: Type.Object({ type: Type.Literal(T.StreamPushAck), applied: SafeInt() }),
    },
    [T.TopologyStatus]: {
      request: Type.Object({ type: Type.Literal(T.TopologyStatus) }),
      reply: Type.Object({
        type: Type.Literal(T.TopologyStatusReply), epoch: Epoch,
        /** The highest epoch whose gained partitions this node holds (it pulled them, or had none to pull). */
        caughtUpEpoch: Epoch,
        /** Partitions it still waits for, of any move. */
        pendingPartitions: SafeInt(),
      }),
    },
    [T.SelfStatus]: {
      request: Type.Object({
        type: Type.Literal(T.SelfStatus),
        /** Also send the traffic history (GET /cluster/traffic only: it is the largest part). */
        traffic: Type.Optional(Type.Boolean()),
      }),
      reply: Type.Object({ type: Type.Literal(T.SelfStatusReply), status: selfStatusSchema(Partition, l.partitions, MEMBERS_MAX) }),
    },
  } as const;
}

/** One member as gossip describes it (core's MemberEntry). */
export const MemberEntrySchema = Type.Object({
  id: NodeId, peer: Address, http: Address, zone: Type.Optional(Zone),
  incarnation: SafeInt(), heartbeat: SafeInt(),
  status: Type.Union([Type.Literal('joining'), Type.Literal('normal'), Type.Literal('leaving'), Type.Literal('left')]),
  epoch: SafeInt(),
});

/** Membership commands (core's MembershipCommand), as the admin API and forwarded changes carry them. */
export const MembershipCommandSchema = Type.Union([
  Type.Object({ op: Type.Literal('add'), member: Type.Object({ id: NodeId, peer: Address, http: Address, zone: Type.Optional(Zone) }, { additionalProperties: false }) }, { additionalProperties: false }),
  Type.Object({ op: Type.Literal('activate'), id: NodeId }, { additionalProperties: false }),
  Type.Object({ op: Type.Literal('leave'), id: NodeId }, { additionalProperties: false }),
  Type.Object({ op: Type.Literal('remove'), id: NodeId }, { additionalProperties: false }),
  Type.Object({ op: Type.Literal('setZone'), id: NodeId, zone: Type.Union([Zone, Type.Null()]) }, { additionalProperties: false }),
  Type.Object({ op: Type.Literal('setAddress'), id: NodeId, peer: Address, http: Address }, { additionalProperties: false }),
]);

export type PeerSchemas = ReturnType<typeof peerSchemas>;
export type RequestType = keyof PeerSchemas;
export type RequestOf<K extends RequestType> = Static<PeerSchemas[K]['request']>;
export type ReplyOf<K extends RequestType> = Static<PeerSchemas[K]['reply']>;
export type AnyRequest = { [K in RequestType]: RequestOf<K> }[RequestType];
/** A member's own part of the console's views (console/self-status.ts). */
export type SelfStatus = ReplyOf<typeof T.SelfStatus>['status'];
