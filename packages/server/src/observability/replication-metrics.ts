// Metrics of the replication path: coordinator outcomes, read repair, hints.
import { Counter, Gauge, type Registry } from 'prom-client';
import { CountBuffer } from './count-buffer.js';

type Op = 'read' | 'write';

export class ReplicationMetrics {
  readonly coordinated: Counter<'op' | 'outcome'>;
  private readonly coordinatedCounts = new CountBuffer<'op' | 'outcome'>();
  readonly readRepairs: Counter;
  /** Replicas a read asked beyond the R it started with (one failed, or no quorum in time). */
  readonly readSpares: Counter;
  readonly hintsStored: Counter;
  readonly hintsDelivered: Counter;
  readonly hintsExpired: Counter;
  readonly hintsPending: Gauge;
  readonly hintsDropped: Counter<'reason'>;
  /** Records refused for a timestamp too far ahead of this node's clock, by path. */
  readonly recordsRefused: Counter<'path'>;
  /** Peer requests refused before or by their handler, by error code. */
  readonly peerRequestsRefused: Counter<'code'>;
  /** Stored records or hints that failed to decode (counted as absent), by key space. */
  readonly corruptEntries: Counter<'keyspace'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.coordinated = new Counter({
      name: 'ringkv_coordinator_requests_total', help: 'Coordinated requests by op and outcome', labelNames: ['op', 'outcome'], registers,
      collect: () => this.coordinatedCounts.flush(),
    });
    this.coordinatedCounts.attach(this.coordinated);
    this.readRepairs = new Counter({ name: 'ringkv_read_repairs_total', help: 'Replicas written back by read repair', registers });
    this.readSpares = new Counter({ name: 'ringkv_read_spares_total', help: 'Replicas a read asked beyond the R it started with: an asked replica failed, or no quorum within readSpeculativeRetryMs', registers });
    this.hintsStored = new Counter({ name: 'ringkv_hints_stored_total', help: 'Hints stored for unreachable replicas', registers });
    this.hintsDelivered = new Counter({ name: 'ringkv_hints_delivered_total', help: 'Hints handed back to their replica', registers });
    this.hintsExpired = new Counter({ name: 'ringkv_hints_expired_total', help: 'Hints dropped after the hint window', registers });
    this.hintsPending = new Gauge({ name: 'ringkv_hints_pending', help: 'Hints waiting for their replica after the last handoff pass', registers });
    this.hintsDropped = new Counter({ name: 'ringkv_hints_dropped_total', help: 'Hints not kept, by reason (quota: the target\'s byte quota was full; corrupt: undecodable)', labelNames: ['reason'], registers });
    this.recordsRefused = new Counter({ name: 'ringkv_records_refused_total', help: 'Records refused for a timestamp further ahead of this node\'s clock than maxClockSkewMs, by path', labelNames: ['path'], registers });
    this.peerRequestsRefused = new Counter({ name: 'ringkv_peer_requests_refused_total', help: 'Peer requests refused (malformed, unknown, not allowed for the sender), by code', labelNames: ['code'], registers });
    this.corruptEntries = new Counter({ name: 'ringkv_corrupt_entries_total', help: 'Stored records or hints that failed their checksum or format (read as absent, replaced by the next write), by key space', labelNames: ['keyspace'], registers });
  }

  /** Count keys by op and outcome, built once (outcomes are a handful of constants). */
  private readonly countKeys: Record<Op, Map<string, string>> = { read: new Map(), write: new Map() };

  /** One coordinated request ended (counted without prom-client on the request path). */
  countCoordinated(op: Op, outcome: string): void {
    const keys = this.countKeys[op];
    let key = keys.get(outcome);
    if (key === undefined) keys.set(outcome, (key = `${op} ${outcome}`));
    this.coordinatedCounts.inc(key, { op, outcome });
  }
}
