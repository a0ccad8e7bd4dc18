// The verdict "is this peer up?" that the coordinator and hinted handoff act on. Gossip's phi
// detector is the main witness; direct exchanges add evidence it cannot see yet:
// - a failed request (peer unreachable) marks the peer down once gossip has had no sign of life from
//   it for failureGraceMs, so one failed request never outvotes a heartbeat gossip saw just now
//   (memberlist's "suspect, then refute" in miniature);
// - a successful request or gossip exchange keeps the peer up for okWindowMs even when phi says
//   down (it is the strongest sign of life there is);
// - a member never heard from at all is given the benefit of the doubt for unknownGraceMs after it
//   was listed, as the ping-based liveness did: a cluster that just started serves at once instead
//   of waiting two gossip rounds per peer, and a request that fails ends the grace at once.
import { PhiAccrualDetector, type PhiAccrualOptions } from '@ringkv/core';

/** What this node saw of a peer in its own requests to it. */
export interface PeerEvidence {
  lastOkMs?: number;
  lastFailMs?: number;
}

export interface EvidenceOptions {
  /** How long after the last sign of life a failed request is trusted to mean "down". */
  readonly failureGraceMs: number;
  /** How long a successful exchange keeps a peer up by itself. */
  readonly okWindowMs: number;
  /** How long a member never heard from counts as up after it was first listed. */
  readonly unknownGraceMs: number;
}

export interface VerdictInput {
  /** Whether the phi detector of the gossip table counts the peer as up. */
  readonly gossipAlive: boolean;
  /** When gossip last saw the peer's (incarnation, heartbeat) advance, if ever. */
  readonly lastAdvanceMs?: number;
  readonly evidence?: PeerEvidence;
  /** When the member first appeared in the membership (or this service started). */
  readonly listedSinceMs: number;
  readonly nowMs: number;
}

/** Whether the peer counts as up, combining gossip with direct evidence (see the file comment). */
export function isPeerUp(input: VerdictInput, opts: EvidenceOptions): boolean {
  const { gossipAlive, lastAdvanceMs, evidence, listedSinceMs, nowMs } = input;
  const lastOkMs = evidence?.lastOkMs;
  const lastFailMs = evidence?.lastFailMs;
  const lastLifeMs = Math.max(lastAdvanceMs ?? -Infinity, lastOkMs ?? -Infinity);
  // A success in the same millisecond as a failure wins: the peer answered something.
  const failedSinceLife = lastFailMs !== undefined && lastFailMs > lastLifeMs;
  if (failedSinceLife && nowMs - lastLifeMs > opts.failureGraceMs) return false;
  if (gossipAlive) return true;
  if (lastOkMs !== undefined && nowMs - lastOkMs <= opts.okWindowMs) return true;
  const neverHeard = lastAdvanceMs === undefined && lastOkMs === undefined && lastFailMs === undefined;
  return neverHeard && nowMs - listedSinceMs < opts.unknownGraceMs;
}

/**
 * How long after a single heartbeat a fresh detector with these options crosses its threshold: the
 * time a peer that beat once and then died stays up. Used as the grace of members never heard from,
 * and by tests as the bound within which a dead peer must be seen down.
 */
export function suspicionDelayMs(opts: PhiAccrualOptions): number {
  const d = new PhiAccrualDetector(opts);
  d.heartbeat(0);
  let lo = 0;
  let hi = 1;
  while (d.isAvailable(hi)) {
    hi *= 2;
    if (hi > 86_400_000) return hi; // a threshold no lateness reaches: effectively never
  }
  // Smallest whole ms at which the detector says down.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (d.isAvailable(mid)) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The core's detector defaults are tuned for one gossip round a second; a node configured with
 * another interval scales every duration with it (the rhythm of advances is whole rounds), and
 * takes its threshold from the config.
 */
export function detectorOptionsFor(base: PhiAccrualOptions, intervalMs: number, threshold: number): PhiAccrualOptions {
  const f = intervalMs / 1000;
  return Object.freeze({
    ...base,
    threshold,
    minStdDevMs: base.minStdDevMs * f,
    acceptableHeartbeatPauseMs: base.acceptableHeartbeatPauseMs * f,
    firstHeartbeatEstimateMs: base.firstHeartbeatEstimateMs * f,
    ...(base.maxSampleIntervalMs !== undefined ? { maxSampleIntervalMs: base.maxSampleIntervalMs * f } : {}),
  });
}
