// The console's SelfStatus reply (peer messages 60/61): a member's own part of the cluster views,
// each list bounded by the members or the partitions, so a peer cannot grow what a node decodes.
import { ErrorCode, NodeId, SafeInt, Type } from './schema-kit.js';

/** Error codes of one traffic sample at most (the rest count under OTHER). */
export const TRAFFIC_ERROR_CODES_MAX = 8;
/** Traffic samples one SelfStatus reply carries at most (the newest): over 5 hours at 10 s. */
export const TRAFFIC_WIRE_SAMPLES_MAX = 2048;

/** Streams of one partition a node takes part in at most (one per replica: N is at most 16). */
export const STREAMS_PER_PARTITION_MAX = 16;

/** Non-negative numbers that need not be integers (rates, phi, milliseconds of a quantile). */
const Real = Type.Number({ minimum: 0, maximum: 1e15 });
const NullableReal = Type.Union([Real, Type.Null()]);
const NullableInt = Type.Union([SafeInt(), Type.Null()]);
const OpTraffic = Type.Object({ ops: SafeInt(), p50Ms: NullableReal, p99Ms: NullableReal });

/** One 10 s sample of a node's traffic (console/traffic-history.ts). */
export const TrafficSampleSchema = Type.Object({
  atMs: SafeInt(), get: OpTraffic, put: OpTraffic, delete: OpTraffic,
  errors: Type.Array(Type.Tuple([ErrorCode, SafeInt()]), { maxItems: TRAFFIC_ERROR_CODES_MAX + 1 }),
});

/**
 * A member's own part of the console's views (console/self-status.ts builds it). Every list is
 * bounded by the members or the partitions; ages are measured on the sender's clock.
 */
export function selfStatusSchema(Partition: ReturnType<typeof SafeInt>, partitions: number, membersMax: number) {
  const PerPartition = Type.Array(Type.Tuple([Partition, Real]), { maxItems: partitions });
  return Type.Object({
    id: NodeId, atMs: SafeInt(), epoch: SafeInt(),
    liveness: Type.Array(Type.Object({
      id: NodeId, alive: Type.Boolean(), phi: NullableReal, heartbeatAgeMs: NullableInt,
      clockOffsetMs: Type.Union([Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }), Type.Null()]),
    }), { maxItems: membersMax }),
    diskBytes: NullableInt,
    hints: Type.Array(Type.Object({
      target: NodeId, count: SafeInt(), bytes: SafeInt(), oldestAgeMs: NullableInt, deliveredPerSecond: Real, dropped: SafeInt(),
    }), { maxItems: membersMax }),
    hintsByPartition: PerPartition,
    streams: Type.Array(Type.Object({
      partition: Partition, source: NodeId, destination: NodeId, bytesDone: SafeInt(), bytesTotal: NullableInt,
      rateBytesPerSecond: Real, etaSeconds: NullableReal, stalled: Type.Boolean(),
    }), { maxItems: partitions * STREAMS_PER_PARTITION_MAX }),
    antiEntropy: Type.Object({
      intervalMs: SafeInt(),
      /** Age of the least recently compared partition it holds (null: none with a peer, or rounds off). */
      oldestRoundAgeMs: NullableInt,
      partitions: Type.Array(Type.Object({ partition: Partition, lastCompletedMs: NullableInt, keysRepaired: SafeInt(), overdue: Type.Boolean() }), { maxItems: partitions }),
    }),
    p99Ms: Type.Object({ get: NullableReal, put: NullableReal }),
    opsByPartition: PerPartition,
    traffic: Type.Optional(Type.Object({
      resolutionMs: SafeInt(1), capBytes: SafeInt(), usedBytes: SafeInt(),
      series: Type.Array(TrafficSampleSchema, { maxItems: TRAFFIC_WIRE_SAMPLES_MAX }),
    })),
  });
}
