// The console's verdicts as pure functions (docs/console.md): a partition's health as one word, a
// member's liveness as up, suspect or down, an anti-entropy partition overdue or not, and the
// cluster's verdict with its reasons. `unavailable` only when some partition is below its write
// quorum W: a Dynamo store serves through a down replica, so that alone is `degraded`, not red.
import type { PartitionHealth } from './replica-health.js';

export type PartitionHealthWord = 'full' | 'under' | 'belowRead' | 'belowWrite' | 'unavailable';

/** The worst state a partition is in (no replica up, below W, below R, some replica down, full). */
export function partitionHealthWord(h: PartitionHealth): PartitionHealthWord {
  if (h.unavailable) return 'unavailable';
  if (h.belowWrite) return 'belowWrite';
  if (h.belowRead) return 'belowRead';
  return h.full ? 'full' : 'under';
}

export type LivenessWord = 'up' | 'suspect' | 'down';

/**
 * A member as the observer sees it: up when its verdict says so; not up but heard within
 * `downAfterMs` (its heartbeat stopped rising lately): suspect; never heard or silent longer: down.
 */
export function livenessWord(m: { alive: boolean; heartbeatAgeMs: number | null }, downAfterMs: number): LivenessWord {
  if (m.alive) return 'up';
  if (m.heartbeatAgeMs !== null && m.heartbeatAgeMs < downAfterMs) return 'suspect';
  return 'down';
}

/**
 * A partition's anti-entropy is overdue when its last successful round (or, with none yet, the
 * moment the node started rounds) is more than three intervals old: one missed round is jitter.
 */
export function antiEntropyOverdue(lastCompletedMs: number | null, sinceMs: number, nowMs: number, intervalMs: number): boolean {
  const last = lastCompletedMs === null ? sinceMs : Math.max(lastCompletedMs, sinceMs);
  return nowMs - last > 3 * intervalMs;
}

export type ClusterVerdictWord = 'healthy' | 'degraded' | 'unavailable';

export interface ClusterVerdictInput {
  nodes: { total: number; up: number; suspect: number; down: number; joining: number; leaving: number; stale: number };
  partitions: { total: number; underReplicated: number; belowRead: number; belowWrite: number; unavailable: number };
  transfersInFlight: number;
  hints: { count: number; bytes: number };
  /** Partitions whose anti-entropy is overdue, over every node. */
  antiEntropyOverdue: number;
}

export interface ClusterVerdict {
  verdict: ClusterVerdictWord;
  /** Human sentences, worst first; empty when healthy. */
  reasons: string[];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * unavailable when some partition is below W; else degraded when anything is not full (a member
 * not up, a partition under-replicated, a transfer running, hints queued, a member that did not
 * answer, anti-entropy overdue); else healthy. Reasons come worst first.
 */
export function clusterVerdict(input: ClusterVerdictInput): ClusterVerdict {
  const { nodes, partitions: p } = input;
  const reasons: string[] = [];
  if (p.unavailable > 0) reasons.push(`${plural(p.unavailable, 'partition has', 'partitions have')} no replica up`);
  if (p.belowWrite > 0) reasons.push(`${plural(p.belowWrite, 'partition is', 'partitions are')} below the write quorum`);
  if (p.belowRead > 0) reasons.push(`${plural(p.belowRead, 'partition is', 'partitions are')} below the read quorum`);
  if (nodes.down > 0) reasons.push(`${plural(nodes.down, 'member is', 'members are')} down`);
  if (nodes.suspect > 0) reasons.push(`${plural(nodes.suspect, 'member is', 'members are')} suspect`);
  if (nodes.stale > 0) reasons.push(`${plural(nodes.stale, 'member', 'members')} did not answer in time (stale)`);
  if (p.underReplicated > 0) reasons.push(`${plural(p.underReplicated, 'partition is', 'partitions are')} under-replicated`);
  if (nodes.joining > 0) reasons.push(`${plural(nodes.joining, 'member is', 'members are')} joining`);
  if (nodes.leaving > 0) reasons.push(`${plural(nodes.leaving, 'member is', 'members are')} leaving`);
  if (input.transfersInFlight > 0) reasons.push(`${plural(input.transfersInFlight, 'partition stream is', 'partition streams are')} running`);
  if (input.hints.count > 0) reasons.push(`${plural(input.hints.count, 'hint is', 'hints are')} queued (${input.hints.bytes} bytes)`);
  if (input.antiEntropyOverdue > 0) reasons.push(`anti-entropy is overdue on ${plural(input.antiEntropyOverdue, 'partition')}`);
  const verdict: ClusterVerdictWord = p.belowWrite > 0 ? 'unavailable' : reasons.length > 0 ? 'degraded' : 'healthy';
  return { verdict, reasons };
}
