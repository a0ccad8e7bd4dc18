// The run's trace: every event the simulator runs and every outcome it records, folded into one
// running hash (two runs of a seed must give the same hash) with the last lines kept for a failure
// report. Lines are plain text so a diff of two verbose runs shows where they part.
import { createHash, type Hash } from 'node:crypto';

export class Trace {
  private readonly hash: Hash = createHash('sha256');
  private readonly tail: string[] = [];
  private count = 0;

  constructor(private readonly tailMax = 200, private readonly echo = false) {}

  add(line: string): void {
    this.hash.update(line);
    this.hash.update('\n');
    this.count++;
    if (this.echo) process.stdout.write(`${line}\n`);
    this.tail.push(line);
    if (this.tail.length > this.tailMax) this.tail.shift();
  }

  get lines(): number {
    return this.count;
  }

  /** The hash of every line so far (the hash object is copied, so tracing can go on). */
  digest(): string {
    return this.hash.copy().digest('hex').slice(0, 16);
  }

  lastLines(): readonly string[] {
    return this.tail;
  }
}
