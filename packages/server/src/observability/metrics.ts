// Prometheus metrics of one node, on a registry of its own (several nodes can share a process in
// tests). Route labels are the route patterns, never raw paths, to keep cardinality bounded.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { CountBuffer } from './count-buffer.js';
import { FastHistogram } from './fast-histogram.js';
import { KvLatency } from './kv-latency.js';

const LATENCY_BUCKETS = Object.freeze([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);

export class NodeMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  /** Per-request increments of httpRequests, flushed when scraped. */
  readonly httpRequestCounts = new CountBuffer<'method' | 'route' | 'status'>();
  /** Read when scraped: the client API sets it to its in-flight count. */
  inFlight: () => number = () => 0;
  /** Observed with the key `${method} ${route}`. */
  readonly httpDuration: FastHistogram<'method' | 'route'>;
  /** Data requests by operation and consistency level (ringkv_kv_request_duration_seconds). */
  readonly kvLatency: KvLatency;
  readonly httpInFlight: Gauge;
  readonly shed: Counter;
  /** Requests refused by authentication, by cause: missing, malformed, unknown, forbidden. */
  readonly authFailures: Counter<'cause'>;
  /** Client connections the node closed on its own, by reason. */
  readonly connectionsClosed: Counter<'reason'>;
  /** Re-reads of the auth file and certificates (SIGHUP), by what and outcome. */
  readonly reloads: Counter<'what' | 'outcome'>;

  constructor(nodeId: string, withDefaults = true) {
    this.registry.setDefaultLabels({ node: nodeId });
    if (withDefaults) collectDefaultMetrics({ register: this.registry, prefix: 'ringkv_process_' });
    this.httpRequests = new Counter({
      name: 'ringkv_http_requests_total', help: 'Client HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'], registers: [this.registry],
      collect: () => this.httpRequestCounts.flush(),
    });
    this.httpRequestCounts.attach(this.httpRequests);
    this.httpDuration = new FastHistogram({
      name: 'ringkv_http_request_duration_seconds', help: 'Client HTTP request latency', registers: [this.registry],
      buckets: LATENCY_BUCKETS,
    });
    this.kvLatency = new KvLatency(this.registry, LATENCY_BUCKETS);
    const inFlight = () => this.inFlight();
    this.httpInFlight = new Gauge({ name: 'ringkv_http_in_flight', help: 'Client requests in flight', registers: [this.registry],
      collect() { this.set(inFlight()); } });
    this.shed = new Counter({ name: 'ringkv_http_shed_total', help: 'Requests refused with 503 because the node was overloaded', registers: [this.registry] });
    this.authFailures = new Counter({ name: 'ringkv_auth_failures_total', help: 'Client requests refused by authentication (missing, malformed or unknown token, or a role too low)', labelNames: ['cause'], registers: [this.registry] });
    this.connectionsClosed = new Counter({ name: 'ringkv_http_connections_closed_total', help: 'Client connections closed by the node: evicted (idle, to make room past maxClientConnections), refused (none idle to evict), idle (clientIdleTimeoutMs), slow_reader', labelNames: ['reason'], registers: [this.registry] });
    this.reloads = new Counter({ name: 'ringkv_reloads_total', help: 'Re-reads of the auth file and TLS certificates (SIGHUP); a failed one keeps the previous', labelNames: ['what', 'outcome'], registers: [this.registry] });
  }
}
