// When the client API refuses work to stay responsive (issue 15): while the event loop has
// lagged more than shedEventLoopDelayMs in the last sample (time/loop-lag.ts, every 100 ms), /kv
// requests are answered 503 OVERLOADED at once, so the queue drains instead of growing (health
// and readiness are never shed); and admin and cluster-view requests are limited to
// adminRequestsPerSecond (bursts of twice that).
import { performance } from 'node:perf_hooks';
import { LOOP_LAG_SAMPLE_MS, type LoopLagMonitor } from '../time/loop-lag.js';

export class LoadShedder {
  private shedding = false;
  private tokens: number;
  private lastRefillMs = performance.now();

  /** lag: the node's loop-lag monitor (absent, or eventLoopDelayMs 0: nothing is shed). */
  constructor(private readonly opts: { eventLoopDelayMs: number; adminPerSecond: number; lag?: LoopLagMonitor }) {
    this.tokens = 2 * opts.adminPerSecond;
    if (opts.eventLoopDelayMs > 0) opts.lag?.onSample((lagMs) => (this.shedding = lagMs > opts.eventLoopDelayMs));
  }

  /**
   * True while data requests are to be refused: the loop lagged past the threshold in the last
   * sample, or the sampling timer itself is late by more than the threshold (the loop is stalled
   * right now, and requests queued meanwhile are being served before the timer gets its turn).
   */
  get overloaded(): boolean {
    if (this.shedding) return true;
    const lag = this.opts.lag;
    return lag !== undefined && this.opts.eventLoopDelayMs > 0 && performance.now() - lag.lastSampleMs > LOOP_LAG_SAMPLE_MS + this.opts.eventLoopDelayMs;
  }

  /** Takes one admin request's token; false when the admin budget is spent for now. */
  admitAdmin(): boolean {
    const now = performance.now();
    const rate = this.opts.adminPerSecond;
    this.tokens = Math.min(2 * rate, this.tokens + ((now - this.lastRefillMs) / 1000) * rate);
    this.lastRefillMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
