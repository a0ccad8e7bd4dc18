// When rounds run: each partition is due every interval, jittered over [0.75, 1.25) of it (the
// first time anywhere in [0, interval), so a node's partitions spread over the interval instead of
// coming due together); triggers (a peer back up, a tree rebuilt) make partitions due at once. A
// due (partition, peer) first has its roots checked, in batches of up to maxRootBatch partitions
// per peer (root-check.ts), and only those the check hands back get a full round. At most
// maxConcurrent rounds and root checks run at once (a check first, so a batch is never stuck
// behind rounds), at most one check per peer; a queued (partition, peer) is queued once however
// often it is triggered.
//
// One sweep timer finds the due partitions, not one timer per partition: at Q=65536 the per-
// partition timers were 15% of an idle node's event loop (Node keeps a list per distinct delay),
// where the sweep reads 65536 due times once a second (well under a millisecond).
import type { Clock, TimerHandle } from '../clock.js';

export interface RoundJob {
  partition: number;
  peer: string;
}

export interface RoundSchedulerDeps {
  clock: Clock;
  /** Uniform [0,1) for the jitter. */
  random: () => number;
  intervalMs: number;
  maxConcurrent: number;
  /** Partitions one root check carries at most. */
  maxRootBatch: number;
  /** The other replicas of a partition. */
  peersOf: (partition: number) => readonly string[];
  /** Checks the roots of partitions with peer; resolves the partitions that need a full round. */
  checkRoots: (peer: string, partitions: number[]) => Promise<readonly number[]>;
  run: (job: RoundJob) => Promise<void>;
}

/** How often the sweep looks for due partitions: a 32nd of the interval, at most a second. */
export function sweepMsFor(intervalMs: number): number {
  return Math.min(1000, Math.max(1, Math.floor(intervalMs / 32)));
}

export class RoundScheduler {
  /** Partition -> when its next round is due (clock ms). */
  private readonly due = new Map<number, number>();
  private sweepTimer: TimerHandle | undefined;
  private readonly retries = new Map<string, TimerHandle>();
  /** Peer -> partitions due whose roots are still to be checked. */
  private readonly rootQueue = new Map<string, Set<number>>();
  private readonly checking = new Set<string>();
  /** Full rounds waiting for a slot. */
  private readonly queue = new Map<string, RoundJob>();
  private readonly inFlight = new Set<Promise<void>>();
  private rounds = 0;
  private pumpQueued = false;
  private stopped = true;

  constructor(private readonly deps: RoundSchedulerDeps) {}

  /** Full rounds and root checks running. */
  get running(): number {
    return this.rounds + this.checking.size;
  }

  private get slotFree(): boolean {
    return this.running < this.deps.maxConcurrent;
  }

  /** Full rounds and root checks waiting. */
  get queued(): number {
    let n = this.queue.size;
    for (const s of this.rootQueue.values()) n += s.size;
    return n;
  }

  start(): void {
    this.stopped = false;
  }

  stop(): void {
    this.stopped = true;
    this.sweepTimer?.cancel();
    this.sweepTimer = undefined;
    for (const t of this.retries.values()) t.cancel();
    this.due.clear();
    this.retries.clear();
    this.rootQueue.clear();
    this.queue.clear();
  }

  /** Keeps a due time per partition in `partitions` (new ones are due within [0, interval)). */
  setPartitions(partitions: readonly number[]): void {
    if (this.stopped) return;
    const keep = new Set(partitions);
    for (const p of this.due.keys()) if (!keep.has(p)) this.due.delete(p);
    const now = this.deps.clock.nowMs();
    for (const p of partitions) if (!this.due.has(p)) this.due.set(p, now + this.deps.random() * this.deps.intervalMs);
    this.armSweep();
  }

  /** Makes partition due now with each of peers (default: every other replica). */
  trigger(partition: number, peers: readonly string[] = this.deps.peersOf(partition)): void {
    if (this.stopped) return;
    for (const peer of peers) {
      if (this.queue.has(`${partition}/${peer}`)) continue;
      let set = this.rootQueue.get(peer);
      if (!set) this.rootQueue.set(peer, (set = new Set()));
      set.add(partition);
    }
    this.pumpSoon();
  }

  /** Pumps once the caller's synchronous work is done, so that its triggers share root checks. */
  private pumpSoon(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** Makes the job due again after about delayMs (once: a pending retry is not doubled). */
  retryLater(job: RoundJob, delayMs: number): void {
    const id = `${job.partition}/${job.peer}`;
    if (this.stopped || this.retries.has(id)) return;
    const jittered = Math.round(delayMs * (0.75 + 0.5 * this.deps.random()));
    this.retries.set(id, this.deps.clock.setTimer(jittered, () => {
      this.retries.delete(id);
      this.trigger(job.partition, [job.peer]);
    }));
  }

  /** Resolves when no round or check runs and none is queued (tests). */
  async idle(): Promise<void> {
    // Work queued starts as soon as a slot frees, and a check queues its rounds before it ends,
    // so nothing is queued once nothing runs (and a pump is not still due).
    for (;;) {
      while (this.inFlight.size > 0) await Promise.race(this.inFlight);
      if (!this.pumpQueued) return;
      await Promise.resolve();
    }
  }

  private armSweep(): void {
    if (this.sweepTimer || this.stopped || this.due.size === 0) return;
    this.sweepTimer = this.deps.clock.setTimer(sweepMsFor(this.deps.intervalMs), () => {
      this.sweepTimer = undefined;
      if (this.stopped) return;
      this.sweep();
      this.armSweep();
    });
  }

  private sweep(): void {
    const { clock, intervalMs, random } = this.deps;
    const now = clock.nowMs();
    const fired: number[] = [];
    for (const [p, at] of this.due) {
      if (at > now) continue;
      fired.push(p);
      this.due.set(p, now + intervalMs * (0.75 + 0.5 * random()));
    }
    for (const p of fired) this.trigger(p);
  }

  private pump(): void {
    if (this.stopped) return;
    for (const [peer, set] of this.rootQueue) {
      if (!this.slotFree) break;
      if (this.checking.has(peer)) continue;
      const batch: number[] = [];
      for (const p of set) {
        if (batch.length === this.deps.maxRootBatch) break;
        batch.push(p);
      }
      for (const p of batch) set.delete(p);
      if (set.size === 0) this.rootQueue.delete(peer);
      this.checking.add(peer);
      this.track(this.deps.checkRoots(peer, batch).then((rounds) => {
        if (this.stopped) return;
        for (const partition of rounds) {
          const id = `${partition}/${peer}`;
          if (!this.queue.has(id)) this.queue.set(id, { partition, peer });
        }
      }, () => undefined).finally(() => this.checking.delete(peer)));
    }
    while (this.slotFree && this.queue.size > 0) {
      const [id, job] = this.queue.entries().next().value as [string, RoundJob];
      this.queue.delete(id);
      this.rounds++;
      this.track(this.deps.run(job).catch(() => undefined).finally(() => this.rounds--));
    }
  }

  /** Keeps p in flight until it settles, then fills the freed slot. */
  private track(work: Promise<void>): void {
    const p: Promise<void> = work.finally(() => {
      this.inFlight.delete(p);
      this.pump();
    });
    this.inFlight.add(p);
  }
}
