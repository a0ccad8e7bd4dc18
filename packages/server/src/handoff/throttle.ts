// A token bucket over bytes per second, on the injected Clock: streaming yields to foreground work.
import { sleepOn, type Clock } from '../clock.js';

export class ByteThrottle {
  private allowance: number;
  private lastMs: number;

  constructor(private readonly clock: Clock, private readonly bytesPerSec: number) {
    this.allowance = bytesPerSec;
    this.lastMs = clock.nowMs();
  }

  /** Waits until `bytes` may be sent. */
  async take(bytes: number): Promise<void> {
    for (;;) {
      const now = this.clock.nowMs();
      this.allowance = Math.min(this.bytesPerSec, this.allowance + ((now - this.lastMs) / 1000) * this.bytesPerSec);
      this.lastMs = now;
      if (this.allowance >= Math.min(bytes, this.bytesPerSec)) {
        this.allowance -= bytes;
        return;
      }
      await sleepOn(this.clock, Math.ceil(((Math.min(bytes, this.bytesPerSec) - this.allowance) / this.bytesPerSec) * 1000));
    }
  }
}
