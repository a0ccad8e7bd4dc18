// The clock's metrics, read when scraped: each member's measured offset (bounded by the
// membership), the bound it is held to, and whether this node may coordinate writes.
import { Gauge, type Registry } from 'prom-client';
import type { ClockGate } from './clock-gate.js';
import type { ClockOffsets } from './clock-offsets.js';

export function registerClockMetrics(registry: Registry, offsets: ClockOffsets, gate: ClockGate, peers: () => readonly string[], maxSkewMs: number): void {
  new Gauge({ name: 'ringkv_clock_max_skew_ms', help: 'maxClockSkewMs: the bound on clock offsets this node accepts (records stamped further ahead are refused)', registers: [registry],
    collect() { this.set(maxSkewMs); } });
  new Gauge({
    name: 'ringkv_clock_offset_ms', help: 'A peer\'s wall clock minus this node\'s, as gossip round trips measure it', labelNames: ['peer'], registers: [registry],
    collect() {
      this.reset();
      for (const id of peers()) {
        const o = offsets.offsetOf(id);
        if (o) this.set({ peer: id }, o.offsetMs);
      }
    },
  });
  new Gauge({
    name: 'ringkv_clock_state', help: 'Whether this node coordinates writes by its clock: 0 ok, 1 not known yet (or just jumped), 2 skewed from the majority', registers: [registry],
    collect() {
      const state = gate.verdict().state;
      this.set(state === 'ok' ? 0 : state === 'unknown' ? 1 : 2);
    },
  });
}
