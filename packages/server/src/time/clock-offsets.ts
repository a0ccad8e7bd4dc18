// How far this node's wall clock is from each peer's, and whether it may coordinate writes.
// Gossip exchanges carry the replier's wall time; the asker estimates the offset as NTP does
// (remote time minus the midpoint of the round trip, which the monotonic clock measures), keeping
// the sample of least round trip of the recent ones. The verdict:
// - `ok`: no other live member, or at most half of the live members it measured are further than
//   the bound (a node agrees with a majority, itself not counted: in a cluster of two, one bad
//   clock stops both, which is safe rather than wrong);
// - `skewed`: more than half are further than the bound;
// - `unknown`: live members exist but none is measured yet, or the wall clock just jumped against
//   the monotonic one (the samples, taken against the old clock, were dropped). Except: a node that
//   was the only member (nothing to compare with, so it served) stays `ok` while the peers that
//   appeared are not measured yet, so a one-node cluster does not refuse writes while a second
//   node joins, until its first exchange with the joiner.
// A peer whose replies carry no clock (a version before this one, during a rolling upgrade) is
// left out rather than waited for.
// Only `ok` coordinates writes. Time comes from the injected Clock, so the simulator drives it.
import { monotonicMs, type Clock } from '../clock.js';

export interface OffsetSample {
  /** Peer's clock minus ours, ms. */
  offsetMs: number;
  /** Round trip of the exchange, ms (the estimate is within half of it). */
  rttMs: number;
  atMonoMs: number;
}

export interface PeerOffset {
  offsetMs: number;
  rttMs: number;
  ageMs: number;
}

export type ClockVerdict =
  | { state: 'ok' }
  | { state: 'skewed'; reason: string; far: string[] }
  | { state: 'unknown'; reason: string };

/** Samples kept per peer, and how long one counts. */
const SAMPLES_KEPT = 8;
const SAMPLE_MAX_AGE_MS = 60_000;

export class ClockOffsets {
  private readonly samples = new Map<string, OffsetSample[]>();
  /** Peers whose replies carry no clock (an older version during a rolling upgrade): not judged. */
  private readonly unmeasurable = new Set<string>();
  /** Wall minus monotonic when the samples were taken: a change of it is a jump of the wall clock. */
  private base?: number;
  private jumpedAtMonoMs?: number;
  /** This node was the only member and has measured no peer since (see the top). */
  private wasAlone = false;

  constructor(private readonly clock: Clock, readonly maxSkewMs: number) {}

  /** Records one exchange: sentWallMs/sentMonoMs before the request, the remote's wall time in the reply. */
  sample(peer: string, sentWallMs: number, sentMonoMs: number, remoteWallMs: number): void {
    this.detectJump();
    const nowMono = monotonicMs(this.clock);
    const rttMs = Math.max(0, nowMono - sentMonoMs);
    const offsetMs = remoteWallMs - (sentWallMs + rttMs / 2);
    if (!Number.isFinite(offsetMs)) return;
    this.unmeasurable.delete(peer);
    const list = this.samples.get(peer) ?? [];
    list.push({ offsetMs, rttMs, atMonoMs: nowMono });
    if (list.length > SAMPLES_KEPT) list.shift();
    this.samples.set(peer, list);
  }

  /** A peer answered without its clock: it is left out of the verdict until it sends one. */
  markUnmeasurable(peer: string): void {
    this.unmeasurable.add(peer);
  }

  /** Forgets peers not in `keep` (members that left). */
  retain(keep: ReadonlySet<string>): void {
    for (const id of this.samples.keys()) if (!keep.has(id)) this.samples.delete(id);
    for (const id of this.unmeasurable) if (!keep.has(id)) this.unmeasurable.delete(id);
  }

  /** The estimate for one peer (least round trip among fresh samples), if any. */
  offsetOf(peer: string): PeerOffset | undefined {
    this.detectJump();
    const nowMono = monotonicMs(this.clock);
    let best: OffsetSample | undefined;
    for (const s of this.samples.get(peer) ?? []) {
      if (nowMono - s.atMonoMs > SAMPLE_MAX_AGE_MS) continue;
      if (!best || s.rttMs < best.rttMs) best = s;
    }
    return best && { offsetMs: Math.round(best.offsetMs), rttMs: Math.round(best.rttMs), ageMs: Math.round(nowMono - best.atMonoMs) };
  }

  /**
   * The membership holds this node alone: nothing to compare its clock with, so it serves, and it
   * stays `ok` while peers that appear later are not measured yet (see the top).
   */
  markAlone(): void {
    this.wasAlone = true;
  }

  /** May this node coordinate writes, given the peers it believes alive? */
  verdict(livePeers: readonly string[]): ClockVerdict {
    this.detectJump();
    const judged = livePeers.filter((id) => !this.unmeasurable.has(id));
    if (judged.length === 0) return { state: 'ok' };
    const measured: { id: string; offset: PeerOffset }[] = [];
    for (const id of judged) {
      const offset = this.offsetOf(id);
      if (offset) measured.push({ id, offset });
    }
    if (measured.length === 0 && this.wasAlone) return { state: 'ok' };
    this.wasAlone = false;
    if (measured.length === 0) {
      const jumped = this.jumpedAtMonoMs !== undefined;
      return { state: 'unknown', reason: jumped ? 'the wall clock jumped; waiting to compare it with the peers again' : 'its clock has not been compared with any live peer yet' };
    }
    // Far beyond doubt: the offset exceeds the bound even after the round trip's uncertainty.
    const far = measured.filter((m) => Math.abs(m.offset.offsetMs) - m.offset.rttMs / 2 > this.maxSkewMs);
    if (far.length * 2 > measured.length) {
      const worst = far.map((m) => `${m.id} ${m.offset.offsetMs > 0 ? '+' : ''}${m.offset.offsetMs} ms`).join(', ');
      return { state: 'skewed', reason: `its clock is more than ${this.maxSkewMs} ms from ${far.length} of ${measured.length} live peers (peer minus this node: ${worst}); fix NTP`, far: far.map((m) => m.id) };
    }
    return { state: 'ok' };
  }

  private detectJump(): void {
    const base = this.clock.nowMs() - monotonicMs(this.clock);
    if (this.base === undefined) {
      this.base = base;
      return;
    }
    // Drift of a healthy clock is microseconds per second; a change of half the bound is a step.
    if (Math.abs(base - this.base) > this.maxSkewMs / 2) {
      this.samples.clear();
      this.wasAlone = false;
      this.jumpedAtMonoMs = monotonicMs(this.clock);
    }
    this.base = base;
  }
}
