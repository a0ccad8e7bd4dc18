// Whether this node may stamp writes now (docs/design.md "Clocks"): its clock agrees with
// the majority of its live peers (ClockOffsets), and its HLC is not far ahead of its own clock
// (after a clock was set back, timestamps issued before stay ahead until real time passes them:
// the node waits rather than stamp records its peers would refuse). The verdict is cached for a
// moment: it changes with gossip exchanges (about one a second per peer), not per request.
import type { HybridLogicalClock } from '@ringkv/core';
import { monotonicMs, type Clock } from '../clock.js';
import { ClockSkewError } from '../errors.js';
import type { ClockOffsets, ClockVerdict } from './clock-offsets.js';

export interface ClockGateDeps {
  clock: Clock;
  offsets: ClockOffsets;
  hlc: HybridLogicalClock;
  /** Ids of the other members gossip believes alive. */
  livePeers: () => readonly string[];
}

const CACHE_MS = 100;

export class ClockGate {
  private cached?: { atMono: number; verdict: ClockVerdict };
  private lastRefusal?: ClockSkewError;

  constructor(private readonly deps: ClockGateDeps) {}

  /** The current verdict (cached for up to 100 ms). */
  verdict(): ClockVerdict {
    const now = monotonicMs(this.deps.clock);
    if (this.cached && now - this.cached.atMono < CACHE_MS) return this.cached.verdict;
    let verdict = this.deps.offsets.verdict(this.deps.livePeers());
    const aheadMs = this.deps.hlc.last().wallMs - this.deps.clock.nowMs();
    if (verdict.state === 'ok' && aheadMs > this.deps.offsets.maxSkewMs) {
      verdict = { state: 'unknown', reason: `timestamps issued earlier run ${aheadMs} ms ahead of its clock (the clock was set back); it waits until its clock passes them` };
    }
    this.cached = { atMono: now, verdict };
    return verdict;
  }

  /** Why writes are refused now, or undefined when this node may coordinate them. */
  refusal(): ClockSkewError | undefined {
    const v = this.verdict();
    if (v.state === 'ok') return undefined;
    if (this.lastRefusal?.message.endsWith(v.reason)) return this.lastRefusal;
    this.lastRefusal = new ClockSkewError(v.reason, { maxClockSkewMs: this.deps.offsets.maxSkewMs });
    return this.lastRefusal;
  }
}
