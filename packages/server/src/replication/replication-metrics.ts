// Metrics of the replication path: coordinator outcomes, read repair, hints.
import { Counter, Gauge, type Registry } from 'prom-client';

export class ReplicationMetrics {
  readonly coordinated: Counter<'op' | 'outcome'>;
  readonly readRepairs: Counter;
  readonly hintsStored: Counter;
  readonly hintsDelivered: Counter;
  readonly hintsExpired: Counter;
  readonly hintsPending: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.coordinated = new Counter({ name: 'ringkv_coordinator_requests_total', help: 'Coordinated requests by op and outcome', labelNames: ['op', 'outcome'], registers });
    this.readRepairs = new Counter({ name: 'ringkv_read_repairs_total', help: 'Replicas written back by read repair', registers });
    this.hintsStored = new Counter({ name: 'ringkv_hints_stored_total', help: 'Hints stored for unreachable replicas', registers });
    this.hintsDelivered = new Counter({ name: 'ringkv_hints_delivered_total', help: 'Hints handed back to their replica', registers });
    this.hintsExpired = new Counter({ name: 'ringkv_hints_expired_total', help: 'Hints dropped after the hint window', registers });
    this.hintsPending = new Gauge({ name: 'ringkv_hints_pending', help: 'Hints waiting for their replica after the last handoff pass', registers });
  }
}
