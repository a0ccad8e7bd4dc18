// The record cache's counters, read at scrape time: nothing is added to the request path.
import { Gauge, type Registry } from 'prom-client';
import type { RecordCache } from './record-cache.js';

export function registerRecordCacheMetrics(registry: Registry, cache: RecordCache): void {
  const registers = [registry];
  new Gauge({ name: 'ringkv_record_cache_hits', help: 'Record cache lookups answered from memory (since start)', registers,
    collect() { this.set(cache.hits); } });
  new Gauge({ name: 'ringkv_record_cache_misses', help: 'Record cache lookups that went to the engine (since start)', registers,
    collect() { this.set(cache.misses); } });
  new Gauge({ name: 'ringkv_record_cache_bytes', help: 'Estimated memory held by the record cache', registers,
    collect() { this.set(cache.sizeBytes); } });
  new Gauge({ name: 'ringkv_record_cache_entries', help: 'Keys in the record cache (absent keys included)', registers,
    collect() { this.set(cache.size); } });
}
