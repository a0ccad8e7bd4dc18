// Peer message types: a numbered enum, append only (never renumber or reuse a value), so nodes of
// neighbouring versions understand each other. The transport's own frames (handshake, batches)
// are separate and versioned by PROTOCOL_VERSION.
export const PROTOCOL_VERSION = 1;

export const PeerMessageType = {
  /** Empty request used to probe a peer. */
  Ping: 1,
  Pong: 2,
  /** Store a record on this replica (or as a hint for another node). */
  ReplicaWrite: 10,
  ReplicaWriteAck: 11,
  /** Read this replica's record of a key. */
  ReplicaRead: 12,
  ReplicaReadReply: 13,
  /** Gossip digest. */
  Gossip: 20,
  GossipAck: 21,
  /** Raft messages of the membership group. */
  Raft: 30,
  RaftAck: 31,
  /** Membership queries and changes forwarded to the Raft leader. */
  MembershipGet: 32,
  MembershipReply: 33,
  MembershipChange: 34,
  MembershipChangeReply: 35,
  /** Anti-entropy exchange. */
  MerkleLevel: 40,
  MerkleLevelReply: 41,
  BucketEntries: 42,
  BucketEntriesReply: 43,
  /** The root hashes of many partitions' trees at once: a round starts only where they differ. */
  MerkleRoots: 44,
  MerkleRootsReply: 45,
  /** Partition streaming during topology changes. */
  StreamPartition: 50,
  StreamPartitionChunk: 51,
  /** A leaving node pushes a chunk of a partition to its new owner. */
  StreamPush: 52,
  StreamPushAck: 53,
  /** Where a node is in its moves: asked before a removal, which waits for every catch-up. */
  TopologyStatus: 54,
  TopologyStatusReply: 55,
  /** A pull with a checksum manifest: the manifest of the next chunks, then each chunk by its range and leaf. */
  StreamManifest: 56,
  StreamManifestReply: 57,
  StreamChunk: 58,
  StreamChunkReply: 59,
  /** A member's own part of the console's views (liveness, hints, streams, repair, traffic). */
  SelfStatus: 60,
  SelfStatusReply: 61,
  /** Error reply to any request. */
  Error: 99,
} as const;

export type PeerMessageTypeValue = (typeof PeerMessageType)[keyof typeof PeerMessageType];
