// When the client API refuses work to stay responsive (issue 15): while the event loop has
// lagged more than shedEventLoopDelayMs in the last sample (monitorEventLoopDelay, sampled every
// 100 ms), /kv requests are answered 503 OVERLOADED at once, so the queue drains instead of
// growing (health and readiness are never shed); and admin and cluster-view requests are limited
// to adminRequestsPerSecond (bursts of twice that).
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';

const SAMPLE_EVERY_MS = 100;

export class LoadShedder {
  private readonly histogram?: IntervalHistogram;
  private readonly timer?: NodeJS.Timeout;
  /** The worst event-loop delay of the last sample (ms). */
  lagMs = 0;
  private shedding = false;
  private tokens: number;
  private lastRefillMs = performance.now();
  private lastSampleMs = performance.now();

  constructor(private readonly opts: { eventLoopDelayMs: number; adminPerSecond: number }) {
    this.tokens = 2 * opts.adminPerSecond;
    if (opts.eventLoopDelayMs > 0) {
      this.histogram = monitorEventLoopDelay({ resolution: 10 });
      this.histogram.enable();
      this.timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
      this.timer.unref();
    }
  }

  /**
   * True while data requests are to be refused: the loop lagged past the threshold in the last
   * sample, or the sampling timer itself is late by more than the threshold (the loop is stalled
   * right now, and requests queued meanwhile are being served before the timer gets its turn).
   */
  get overloaded(): boolean {
    if (this.shedding) return true;
    return this.timer !== undefined && performance.now() - this.lastSampleMs > SAMPLE_EVERY_MS + this.opts.eventLoopDelayMs;
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

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.histogram?.disable();
  }

  private sample(): void {
    const now = performance.now();
    // This timer's own lateness is a delay of the loop too, and the only one seen yet when it runs
    // right after a stall before the histogram's timer has recorded it (both are due at once):
    // without it, the requests queued behind the stall would be served, not shed.
    const lateMs = now - this.lastSampleMs - SAMPLE_EVERY_MS;
    this.lastSampleMs = now;
    const h = this.histogram!;
    this.lagMs = Math.max(h.max / 1e6, lateMs);
    h.reset();
    this.shedding = this.lagMs > this.opts.eventLoopDelayMs;
  }
}
