// Keeps the hybrid logical clock from going backwards across a restart: a node with a slow clock
// may have issued timestamps ahead of its physical time, and after a restart it must not issue
// older ones (a client that wrote v1 then v3 through it would read v1 back).
//
// A synced "ceiling" above every timestamp issued is kept in the meta key space and raised in
// steps (one synced write per step, not per request); on start the clock resumes above it.
import type { MetaStore } from '../meta-store.js';
import type { HybridLogicalClock, Timestamp } from '@ringkv/core';
import type { Clock } from '../clock.js';

const CEILING_KEY = 'hlc-ceiling';
/** How far above the last issued timestamp the persisted ceiling is set, at most. */
export const HLC_CEILING_STEP_MS = 10_000;

/**
 * The step for a node whose peers refuse records more than maxClockSkewMs ahead: after a quick
 * restart the clock resumes at the ceiling, so a ceiling further ahead than the bound would have
 * every write of the first seconds refused. Half the bound: one synced write per quarter of it
 * while writes arrive (a few per second at the default 500 ms).
 */
export function ceilingStepMs(maxClockSkewMs: number): number {
  return Math.max(1, Math.min(HLC_CEILING_STEP_MS, Math.floor(maxClockSkewMs / 2)));
}

export class HlcCeiling {
  private ceilingMs = 0;
  private raising?: Promise<void>;

  constructor(
    private readonly hlc: HybridLogicalClock, private readonly meta: MetaStore, private readonly clock: Clock,
    private readonly stepMs: number = HLC_CEILING_STEP_MS,
  ) {}

  /** Resumes the clock above the persisted ceiling (call once at start, before issuing). */
  async restore(): Promise<void> {
    const bytes = await this.meta.get(CEILING_KEY);
    if (!bytes) return;
    const ceiling = bytes.length === 8 ? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(0) : NaN;
    if (!Number.isSafeInteger(ceiling) || ceiling < 0 || ceiling > 2 ** 48 - 1) {
      // Stored bytes are not trusted: a damaged ceiling must not freeze or fling the clock.
      throw new Error(`the HLC ceiling in node metadata is damaged (${bytes.length} bytes); delete the meta key hlc-ceiling only if this node's clock is known to be right`);
    }
    this.ceilingMs = ceiling;
    this.hlc.observe({ wallMs: this.ceilingMs, logical: 0, node: 0 }, Math.max(this.clock.nowMs(), this.ceilingMs));
  }

  /**
   * A new timestamp, never below one issued before a crash. It is issued at once (callers may rely
   * on hlc.last() right after the call); `durable` is set when it may not be used before the
   * ceiling above it is synced (most calls need no promise).
   */
  issue(): { ts: Timestamp; durable?: Promise<void> } {
    const ts = this.hlc.now(this.clock.nowMs());
    if (ts.wallMs >= this.ceilingMs) return { ts, durable: this.raiseAbove(ts) };
    // Past half the step, raise it in the background, so writes do not all wait on that sync
    // (a failure here is met again, and reported, by the wait in raiseAbove).
    if (ts.wallMs >= this.ceilingMs - this.stepMs / 2 && !this.raising) {
      this.raise(ts.wallMs + this.stepMs).catch(() => undefined);
    }
    return { ts };
  }

  private async raiseAbove(ts: Timestamp): Promise<void> {
    while (ts.wallMs >= this.ceilingMs) await this.raise(ts.wallMs + this.stepMs);
  }

  private raise(toMs: number): Promise<void> {
    this.raising ??= (async () => {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setFloat64(0, toMs);
      await this.meta.put(CEILING_KEY, bytes);
      this.ceilingMs = Math.max(this.ceilingMs, toMs);
    })().finally(() => {
      this.raising = undefined;
    });
    return this.raising;
  }
}
