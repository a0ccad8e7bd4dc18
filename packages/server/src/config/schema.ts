// The one schema of a node's configuration. Every option has its type, limits, default and the
// reason for that default here and nowhere else; the CLI derives its flags, the environment
// variables (RINGKV_<NAME>) and the config-file keys from this table.

export type OptionType = 'string' | 'int' | 'enum' | 'list' | 'address' | 'bool';

export interface OptionSpec {
  type: OptionType;
  describe: string;
  /** Why the default is what it is. */
  reason: string;
  default: string | number | boolean | string[] | undefined;
  min?: number;
  max?: number;
  values?: readonly string[];
  /** Also a `ringkv start` flag (all are settable in the config file and environment). */
  flag?: boolean;
}

const MiB = 1024 * 1024;

export const CONFIG_SCHEMA = {
  id: { type: 'string', flag: true, default: undefined, describe: 'Node id, unique and stable in the cluster',
    reason: 'derived from the peer address when absent, so a single dev node needs no naming' },
  http: { type: 'address', flag: true, default: '127.0.0.1:7070', describe: 'Client HTTP API listen address HOST:PORT',
    reason: 'loopback by default: exposing a database is an explicit decision' },
  peer: { type: 'address', flag: true, default: '127.0.0.1:7071', describe: 'Peer traffic listen address HOST:PORT',
    reason: 'next to the client port; loopback until configured' },
  advertisePeer: { type: 'address', default: undefined, describe: 'Peer address other nodes use to reach this one (defaults to --peer)',
    reason: 'differs from the listen address only behind NAT or with 0.0.0.0 binds' },
  advertiseHttp: { type: 'address', default: undefined, describe: 'Client address advertised in /cluster (defaults to --http)',
    reason: 'as advertisePeer' },
  seeds: { type: 'list', flag: true, default: [], describe: 'Peer addresses of the seed nodes, comma separated',
    reason: 'empty means a single-node cluster formed by this node alone' },
  data: { type: 'string', flag: true, default: undefined, describe: 'Data directory',
    reason: 'defaults to ./data/<id> so several local nodes never share a directory' },
  engine: { type: 'enum', flag: true, values: ['level', 'rocksdb', 'memory'], default: 'level', describe: 'Storage engine',
    reason: 'classic-level ships prebuilt, is well tested and fast enough for the client path' },
  durability: { type: 'enum', flag: true, values: ['engine', 'sync'], default: 'engine',
    describe: 'Acknowledge writes once the engine has them (survives a process crash) or once synced to disk (survives power loss)',
    reason: 'replication already protects against a machine loss; sync costs a disk flush per group of writes' },
  replicas: { type: 'int', flag: true, min: 1, max: 7, default: 3, describe: 'Replicas per key (N)',
    reason: 'three copies survive one failure while a quorum of two still answers' },
  r: { type: 'int', flag: true, min: 1, max: 7, default: 2, describe: 'Default read quorum (R)', reason: 'R+W>N gives read-your-writes' },
  w: { type: 'int', flag: true, min: 1, max: 7, default: 2, describe: 'Default write quorum (W)', reason: 'R+W>N gives read-your-writes' },
  partitions: { type: 'int', flag: true, min: 1, max: 65536, default: 256, describe: 'Partitions (Q), a power of two fixed at cluster creation',
    reason: 'enough to balance up to ~80 nodes with N=3 while keeping per-partition trees small' },
  zone: { type: 'string', flag: true, default: undefined, describe: 'Failure zone of this node (replicas spread across zones)',
    reason: 'no zones unless the operator says so' },
  secret: { type: 'string', flag: true, default: undefined, describe: 'Cluster secret proven in the peer handshake (at least 32 bytes; prefer --secret-file)',
    reason: 'no built-in default: a public default lets anyone on the network join. Without one a loopback-only node makes a random secret for itself; any other node refuses to start' },
  secretFile: { type: 'string', flag: true, default: undefined, describe: 'File holding the cluster secret (trailing newline ignored); keeps it out of the process list and the environment',
    reason: 'Kubernetes mounts secrets as files' },
  logLevel: { type: 'enum', flag: true, values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], default: 'info',
    describe: 'Log level', reason: 'info logs lifecycle events, not requests' },
  cacheMb: { type: 'int', flag: true, min: 0, max: 1024 * 1024, default: 64, describe: 'Memory for the cache of recently used records (MiB); 0 disables it',
    reason: 'a hot working set is served without a trip to the engine; 64 MiB fits a small container next to the engine\'s own caches' },
  maxValueBytes: { type: 'int', min: 0, max: 64 * MiB, default: MiB, describe: 'Largest value accepted (bytes)',
    reason: '1 MiB keeps a request and its replication cheap; larger blobs belong in object storage' },
  maxKeyBytes: { type: 'int', min: 1, max: 1024, default: 1024, describe: 'Largest key accepted (bytes, at most 1024)',
    reason: 'the API contract allows keys of 1 to 1024 bytes' },
  requestTimeoutMs: { type: 'int', min: 10, max: 600_000, default: 2000, describe: 'Coordinator request timeout (ms)',
    reason: 'long enough for a slow replica, short enough that clients can retry elsewhere' },
  maxInFlight: { type: 'int', min: 1, max: 1_000_000, default: 8192, describe: 'Client requests in flight before the node sheds load with 503',
    reason: 'bounds memory under overload; far above what 2 cores serve concurrently' },
  shutdownGraceMs: { type: 'int', min: 0, max: 600_000, default: 10_000, describe: 'Time to finish in-flight requests on SIGTERM (ms)',
    reason: 'matches a Kubernetes terminationGracePeriod well under its 30 s default' },
  maxTtlSeconds: { type: 'int', min: 1, max: 100 * 365 * 86400, default: 10 * 365 * 86400, describe: 'Largest TTL accepted (seconds)',
    reason: 'ten years: anything longer is a mistake more often than intent' },
  gossipIntervalMs: { type: 'int', min: 10, max: 60_000, default: 1000, describe: 'Gossip round interval (ms)', reason: 'DESIGN.md default' },
  gossipFanout: { type: 'int', min: 1, max: 16, default: 3, describe: 'Peers gossiped to per round', reason: 'DESIGN.md default' },
  phiThreshold: { type: 'int', min: 1, max: 32, default: 8, describe: 'Phi-accrual threshold marking a peer down', reason: 'Cassandra default' },
  hintWindowMs: { type: 'int', min: 0, max: 30 * 86400_000, default: 3 * 3600_000, describe: 'How long hints are kept for a down node (ms); 0 disables hinted handoff',
    reason: 'Cassandra default; longer outages are repaired by anti-entropy' },
  tombstoneGraceMs: { type: 'int', min: 0, max: 365 * 86400_000, default: 86400_000, describe: 'Age after which tombstones may be purged (ms)',
    reason: 'one day: longer than any hint window and several anti-entropy rounds' },
  raftTickMs: { type: 'int', min: 5, max: 10_000, default: 50, describe: 'Raft tick of the membership group (ms)',
    reason: 'with 10 election ticks a dead leader is replaced in 0.5-1 s, while heartbeats every tick stay cheap' },
  raftElectionTicks: { type: 'int', min: 3, max: 1000, default: 10, describe: 'Raft election timeout in ticks (randomized up to twice this)',
    reason: 'etcd default' },
  membershipChangeTimeoutMs: { type: 'int', min: 100, max: 600_000, default: 10_000, describe: 'How long a membership change may take to commit (ms)',
    reason: 'several elections long: a change survives a leader failover' },
  streamBytesPerSec: { type: 'int', min: 1024, max: 10 * 1024 * MiB, default: 64 * MiB, describe: 'Rate limit of partition streaming during joins and decommissions (bytes/s)',
    reason: 'fast enough to move a node of tens of GiB in minutes, slow enough to leave room for client traffic' },
  streamChunkBytes: { type: 'int', min: 1024, max: 8 * MiB, default: MiB, describe: 'Size of one streamed chunk (bytes)',
    reason: 'large enough to amortize a round trip, small enough to keep memory and latency bounded' },
  antiEntropyIntervalMs: { type: 'int', min: 100, max: 7 * 86400_000, default: 600_000, describe: 'Anti-entropy round per partition (ms, jittered)',
    reason: 'DESIGN.md default' },
  maxClockSkewMs: { type: 'int', flag: true, min: 10, max: 600_000, default: 500,
    describe: 'Largest clock difference tolerated (ms): a record stamped further ahead of this node\'s clock is refused on every path, and a node further than this from the majority of its peers stops coordinating writes (503 CLOCK_SKEW)',
    reason: 'NTP keeps clocks within milliseconds; 500 ms leaves room for a loaded host and is CockroachDB\'s default max offset, while a clock minutes ahead can no longer shadow every later write of a key' },
  maxInboundRequestsPerPeer: { type: 'int', min: 1, max: 1_000_000, default: 4096,
    describe: 'Requests from one peer connection being handled at once; beyond it the peer is answered PEER_OVERLOADED',
    reason: 'far above what a coordinator has in flight to one replica at 2 cores, small enough that one peer cannot queue unbounded work' },
  maxPeerReplyQueueBytes: { type: 'int', min: 1024 * 1024, max: 16 * 1024 * MiB, default: 64 * MiB,
    describe: 'Bytes of replies and requests queued for one peer connection that is not reading; past it the connection is closed',
    reason: 'several seconds of a busy link: a peer that stops reading for longer is broken, and its queue must not fill the heap' },
  maxApplyQueueBytes: { type: 'int', min: 1024 * 1024, max: 16 * 1024 * MiB, default: 128 * MiB,
    describe: 'Bytes of writes queued for this node\'s replica before new ones are refused (REPLICA_OVERLOADED) until the engine catches up',
    reason: 'a few seconds of writes at the engine\'s batched rate; beyond that waiting only grows memory and latency' },
  maxHintBytesPerTarget: { type: 'int', min: 0, max: 1024 * 1024 * MiB, default: 256 * MiB,
    describe: 'Bytes of hints kept for one down replica; hints beyond it are dropped (counted) and left to anti-entropy; 0 for no limit',
    reason: 'as Cassandra\'s max_hints_size_per_host: a long outage must not fill the disk of every other node; anti-entropy repairs what is dropped' },
  raftMaxUncommitted: { type: 'int', min: 1, max: 100_000, default: 256,
    describe: 'Membership proposals the Raft leader holds uncommitted before it refuses new ones',
    reason: 'changes are rare and one at a time; a flood without a quorum must not grow the log without bound' },
  maxRaftPeerAddresses: { type: 'int', min: 1, max: 65536, default: 64,
    describe: 'Addresses of Raft peers remembered before this node has a membership (a joining node answers the leader there)',
    reason: 'a joining node hears from one leader at a time; the bound keeps senders from growing the map' },
  maxPendingHandshakes: { type: 'int', min: 1, max: 65536, default: 64,
    describe: 'Peer connections still in their handshake at once; more are closed at once',
    reason: 'a cluster of a hundred nodes reconnecting after a restart handshakes in a few at a time; a flood of half-open connections must not cost memory' },
  maxGuestConnections: { type: 'int', min: 0, max: 65536, default: 16,
    describe: 'Authenticated peer connections from nodes that are not members (a node asking to join, a seed being bootstrapped)',
    reason: 'joins happen one at a time; the rest of the peer port is for members' },
  peerLinkIdleMs: { type: 'int', min: 1000, max: 86400_000, default: 60_000,
    describe: 'A peer link (its connection, queue and dial backoff) with no traffic for this long is dropped',
    reason: 'members talk every gossip round; a link idle for a minute belongs to a peer that left or never was one' },
  antiEntropy: { type: 'enum', values: ['active', 'passive'], default: 'active',
    describe: 'active: this node starts Merkle-tree rounds with its peers (on a timer, and when a peer comes back) and repairs what differs; passive: it starts none (it still answers rounds peers start), so only read repair and hinted handoff repair its writes, and tombstones are not purged',
    reason: 'a write a replica missed is repaired even when its key is never read again (as Riak\'s anti_entropy = active)' },
} as const satisfies Record<string, OptionSpec>;

export type ConfigKey = keyof typeof CONFIG_SCHEMA;
