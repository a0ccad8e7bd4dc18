// Prometheus metrics of anti-entropy, on the node's registry.
import { Counter, type Registry } from 'prom-client';

export class AntiEntropyMetrics {
  readonly rounds: Counter<'outcome'>;
  readonly bucketsDiffering: Counter;
  readonly keysRepaired: Counter;
  readonly bytes: Counter<'direction'>;
  readonly tombstonesPurged: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.rounds = new Counter({
      name: 'ringkv_anti_entropy_rounds_total', help: 'Anti-entropy rounds this node started, by outcome',
      labelNames: ['outcome'], registers,
    });
    this.bucketsDiffering = new Counter({
      name: 'ringkv_anti_entropy_buckets_differing_total', help: 'Tree buckets found different from a peer in rounds this node started', registers,
    });
    this.keysRepaired = new Counter({
      name: 'ringkv_anti_entropy_keys_repaired_total', help: 'Records stored on this node because a peer had them newer (either side of a round)', registers,
    });
    this.bytes = new Counter({
      name: 'ringkv_anti_entropy_bytes_total', help: 'Anti-entropy payload bytes (hashes, keys and records) by direction',
      labelNames: ['direction'], registers,
    });
    this.tombstonesPurged = new Counter({
      name: 'ringkv_tombstones_purged_total', help: 'Tombstones deleted after their grace period once every replica had them', registers,
    });
  }

  sent(n: number): void {
    if (n > 0) this.bytes.inc({ direction: 'sent' }, n);
  }

  received(n: number): void {
    if (n > 0) this.bytes.inc({ direction: 'received' }, n);
  }
}
