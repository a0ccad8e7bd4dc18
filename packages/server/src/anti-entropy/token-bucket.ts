// A rate budget on an injected clock: take(n) spends n tokens and, if that leaves the bucket in
// debt, waits until the refill has paid it back. Debt (rather than refusal) lets one message larger
// than the burst through while still holding the average rate; charge(n) spends without waiting,
// for work done on a peer's behalf that must answer promptly but still slows our own rounds.
import { sleepOn, type Clock } from '../clock.js';

export class TokenBucket {
  private tokens: number;
  private lastMs: number;
  /** Total time take() has waited (for tests and the benchmark). */
  waitedMs = 0;

  constructor(private readonly clock: Clock, readonly ratePerSec: number, readonly burst: number) {
    this.tokens = burst;
    this.lastMs = clock.nowMs();
  }

  get unlimited(): boolean {
    return this.ratePerSec === Infinity;
  }

  /** Tokens available now (negative while in debt). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  charge(n: number): void {
    if (this.unlimited) return;
    this.refill();
    this.tokens -= n;
  }

  async take(n: number): Promise<void> {
    if (this.unlimited) return;
    this.charge(n);
    if (this.tokens >= 0) return;
    const waitMs = Math.ceil((-this.tokens / this.ratePerSec) * 1000);
    this.waitedMs += waitMs;
    await sleepOn(this.clock, waitMs);
  }

  private refill(): void {
    const now = this.clock.nowMs();
    // A clock that steps back refills nothing (and does not create debt).
    const elapsedMs = Math.max(0, now - this.lastMs);
    this.lastMs = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.ratePerSec) / 1000);
  }
}
