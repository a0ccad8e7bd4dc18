// A token bucket over bytes per second, on the injected Clock: streaming yields to foreground work,
// both by its byte rate and by the background pace (time/background-pacer.ts).
import { sleepOn, type Clock } from '../clock.js';
import { UNPACED, type Pace } from '../time/background-pacer.js';

export class ByteThrottle {
  private allowance: number;
  private lastMs: number;

  constructor(private readonly clock: Clock, private readonly bytesPerSec: number, private readonly pace: Pace = UNPACED) {
    this.allowance = bytesPerSec;
    this.lastMs = clock.nowMs();
  }

  /** Waits until `bytes` may be sent, and for the pace's turn (asked at once: the waits overlap). */
  async take(bytes: number): Promise<void> {
    const turn = this.pace.admit();
    for (;;) {
      const now = this.clock.nowMs();
      this.allowance = Math.min(this.bytesPerSec, this.allowance + ((now - this.lastMs) / 1000) * this.bytesPerSec);
      this.lastMs = now;
      if (this.allowance >= Math.min(bytes, this.bytesPerSec)) {
        this.allowance -= bytes;
        return turn;
      }
      await sleepOn(this.clock, Math.ceil(((Math.min(bytes, this.bytesPerSec) - this.allowance) / this.bytesPerSec) * 1000));
    }
  }
}
