// The event loop's lag, sampled every 100 ms: the worst delay monitorEventLoopDelay saw in the
// sample (less its resolution: Node records each whole interval between its timer's runs, so an
// idle loop reads 10 ms), or the sampling timer's own lateness if larger (the only delay seen yet when it runs
// right after a stall, before the histogram's timer has recorded it). The load shedder and the
// background pacer read it.
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';

export const LOOP_LAG_SAMPLE_MS = 100;
const RESOLUTION_MS = 10;

export class LoopLagMonitor {
  private readonly histogram: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  /** The worst event-loop delay of the last sample (ms). */
  lagMs = 0;
  /** When the last sample was taken (performance.now()). */
  lastSampleMs = performance.now();
  private readonly listeners: ((lagMs: number) => void)[] = [];

  constructor() {
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.histogram.enable();
    this.timer = setInterval(() => this.sample(), LOOP_LAG_SAMPLE_MS);
    this.timer.unref();
  }

  /** Calls fn with each sample's lag. */
  onSample(fn: (lagMs: number) => void): void {
    this.listeners.push(fn);
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  private sample(): void {
    const now = performance.now();
    const lateMs = now - this.lastSampleMs - LOOP_LAG_SAMPLE_MS;
    this.lastSampleMs = now;
    this.lagMs = Math.max(0, this.histogram.max / 1e6 - RESOLUTION_MS, lateMs);
    this.histogram.reset();
    for (const fn of this.listeners) fn(this.lagMs);
  }
}
