// A rate budget on an injected clock (anti-entropy's bytes and scanned entries, streaming's bytes): take(n) spends n tokens and, if that leaves the bucket in
// debt, waits until the refill has paid it back. Debt (rather than refusal) lets one message larger
// than the burst through while still holding the average rate; charge(n) spends without waiting,
// for work done on a peer's behalf that must answer promptly but still slows our own rounds.
// take() also waits its turn by the background pace (time/background-pacer.ts), even when the rate
// is unlimited; charge() does not.
import { sleepOn, type Clock } from '../clock.js';
import { UNPACED, type Pace } from './background-pacer.js';

export class TokenBucket {
  private tokens: number;
  private lastMs: number;
  /** Total time take() has waited (for tests and the benchmark). */
  waitedMs = 0;

  constructor(private readonly clock: Clock, readonly ratePerSec: number, readonly burst: number, private readonly pace: Pace = UNPACED) {
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

  /** Spends n now and waits out the debt and the pace's turn together (the longer of the two). */
  async take(n: number): Promise<void> {
    const turn = this.pace.admit();
    if (!this.unlimited) {
      this.charge(n);
      if (this.tokens < 0) {
        const waitMs = Math.ceil((-this.tokens / this.ratePerSec) * 1000);
        this.waitedMs += waitMs;
        await sleepOn(this.clock, waitMs);
      }
    }
    await turn;
  }

  private refill(): void {
    const now = this.clock.nowMs();
    // A clock that steps back refills nothing (and does not create debt).
    const elapsedMs = Math.max(0, now - this.lastMs);
    this.lastMs = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.ratePerSec) / 1000);
  }
}
