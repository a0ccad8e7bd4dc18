// When rounds run: each partition's timer fires every interval, jittered over [0.75, 1.25) of it
// (the first one anywhere in [0, interval), so a node's partitions spread over the interval instead
// of firing together), and queues a round with each other replica; triggers (a peer back up, a tree
// rebuilt) queue rounds too. At most maxConcurrent rounds run at once; a queued (partition, peer)
// is queued once however often it is triggered.
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
  /** The other replicas of a partition. */
  peersOf: (partition: number) => readonly string[];
  run: (job: RoundJob) => Promise<void>;
}

export class RoundScheduler {
  private readonly timers = new Map<number, TimerHandle>();
  private readonly retries = new Map<string, TimerHandle>();
  private readonly queue = new Map<string, RoundJob>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = true;

  constructor(private readonly deps: RoundSchedulerDeps) {}

  get running(): number {
    return this.inFlight.size;
  }

  get queued(): number {
    return this.queue.size;
  }

  start(): void {
    this.stopped = false;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    for (const t of this.retries.values()) t.cancel();
    this.timers.clear();
    this.retries.clear();
    this.queue.clear();
  }

  /** Keeps one timer per partition in `partitions` (new ones get a first firing in [0, interval)). */
  setPartitions(partitions: readonly number[]): void {
    if (this.stopped) return;
    const keep = new Set(partitions);
    for (const [p, t] of this.timers) {
      if (!keep.has(p)) {
        t.cancel();
        this.timers.delete(p);
      }
    }
    for (const p of partitions) if (!this.timers.has(p)) this.arm(p, this.deps.random() * this.deps.intervalMs);
  }

  /** Queues a round of partition with each of peers (default: every other replica). */
  trigger(partition: number, peers: readonly string[] = this.deps.peersOf(partition)): void {
    if (this.stopped) return;
    for (const peer of peers) {
      const id = `${partition}/${peer}`;
      if (!this.queue.has(id)) this.queue.set(id, { partition, peer });
    }
    this.pump();
  }

  /** Queues the job again after about delayMs (once: a pending retry is not doubled). */
  retryLater(job: RoundJob, delayMs: number): void {
    const id = `${job.partition}/${job.peer}`;
    if (this.stopped || this.retries.has(id)) return;
    const jittered = Math.round(delayMs * (0.75 + 0.5 * this.deps.random()));
    this.retries.set(id, this.deps.clock.setTimer(jittered, () => {
      this.retries.delete(id);
      this.trigger(job.partition, [job.peer]);
    }));
  }

  /** Resolves when no round runs and none is queued (tests). */
  async idle(): Promise<void> {
    // A queued job starts as soon as a slot frees, so nothing is queued once nothing runs.
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
  }

  private arm(partition: number, delayMs: number): void {
    this.timers.set(partition, this.deps.clock.setTimer(Math.round(delayMs), () => {
      if (this.stopped || !this.timers.has(partition)) return;
      this.arm(partition, this.deps.intervalMs * (0.75 + 0.5 * this.deps.random()));
      this.trigger(partition);
    }));
  }

  private pump(): void {
    while (!this.stopped && this.inFlight.size < this.deps.maxConcurrent && this.queue.size > 0) {
      const [id, job] = this.queue.entries().next().value as [string, RoundJob];
      this.queue.delete(id);
      const p: Promise<void> = this.deps.run(job).catch(() => undefined).finally(() => {
        this.inFlight.delete(p);
        this.pump();
      });
      this.inFlight.add(p);
    }
  }
}
