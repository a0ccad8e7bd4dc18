// Counter increments on the request path as plain additions, handed to prom-client when the
// registry is scraped: prom-client's inc() hashes the label set and allocates on every call.
import type { Counter } from 'prom-client';

export class CountBuffer<L extends string> {
  private readonly pending = new Map<string, { labels: Partial<Record<L, string | number>>; n: number }>();
  private counter?: Counter<L>;

  /** The counter to flush into (its collect() calls flush()). */
  attach(counter: Counter<L>): void {
    this.counter = counter;
  }

  /** `key` must identify `labels` (e.g. their values joined); labels are read only at the first. */
  inc(key: string, labels: Partial<Record<L, string | number>>): void {
    const entry = this.pending.get(key);
    if (entry) entry.n++;
    else this.pending.set(key, { labels, n: 1 });
  }

  flush(): void {
    if (!this.counter) return;
    for (const { labels, n } of this.pending.values()) this.counter.inc(labels, n);
    this.pending.clear();
  }
}
