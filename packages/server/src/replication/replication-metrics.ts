// Metrics of the replication path: coordinator outcomes, read repair, hints.
import { Counter, Gauge, type Registry } from 'prom-client';
import { CountBuffer } from '../observability/count-buffer.js';

type Op = 'read' | 'write';

export class ReplicationMetrics {
  readonly coordinated: Counter<'op' | 'outcome'>;
  private readonly coordinatedCounts = new CountBuffer<'op' | 'outcome'>();
  readonly readRepairs: Counter;
  readonly hintsStored: Counter;
  readonly hintsDelivered: Counter;
  readonly hintsExpired: Counter;
  readonly hintsPending: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.coordinated = new Counter({
      name: 'ringkv_coordinator_requests_total', help: 'Coordinated requests by op and outcome', labelNames: ['op', 'outcome'], registers,
      collect: () => this.coordinatedCounts.flush(),
    });
    this.coordinatedCounts.attach(this.coordinated);
    this.readRepairs = new Counter({ name: 'ringkv_read_repairs_total', help: 'Replicas written back by read repair', registers });
    this.hintsStored = new Counter({ name: 'ringkv_hints_stored_total', help: 'Hints stored for unreachable replicas', registers });
    this.hintsDelivered = new Counter({ name: 'ringkv_hints_delivered_total', help: 'Hints handed back to their replica', registers });
    this.hintsExpired = new Counter({ name: 'ringkv_hints_expired_total', help: 'Hints dropped after the hint window', registers });
    this.hintsPending = new Gauge({ name: 'ringkv_hints_pending', help: 'Hints waiting for their replica after the last handoff pass', registers });
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
