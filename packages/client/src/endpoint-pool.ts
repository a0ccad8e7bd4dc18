// The endpoints a client may send to: the ones it was given (kept for good) and the ones
// discovery found (replaced on each refresh). Calls rotate over the healthy ones; a node that
// failed sits out a cool-down, and when every node is cooling down the one that is due first is
// tried anyway (a client must never refuse to try at all).

/** Where an endpoint came from. */
export type EndpointSource = 'configured' | 'discovered';

interface EndpointState {
  url: string;
  source: EndpointSource;
  downUntilMs: number;
  failuresInRow: number;
}

/** Endpoint list with health, cool-downs and round-robin choice. */
export class EndpointPool {
  private readonly states = new Map<string, EndpointState>();
  private cursor = 0;

  constructor(configured: readonly string[], private readonly now: () => number) {
    for (const url of configured) this.states.set(url, { url, source: 'configured', downUntilMs: 0, failuresInRow: 0 });
  }

  /** Every endpoint, configured first, in insertion order. */
  list(): string[] {
    return [...this.states.keys()];
  }

  /** Endpoints not cooling down right now. */
  healthy(): string[] {
    const t = this.now();
    return [...this.states.values()].filter((s) => s.downUntilMs <= t).map((s) => s.url);
  }

  /**
   * Replaces the discovered endpoints with `urls` (configured ones always stay). `downUrls` are
   * members the cluster reports dead: they are kept but start cooling down.
   */
  setDiscovered(urls: readonly string[], downUrls: readonly string[] = [], coolDownMs = 5000): void {
    const keep = new Set([...urls, ...downUrls]);
    for (const [url, s] of this.states) {
      if (s.source === 'discovered' && !keep.has(url)) this.states.delete(url);
    }
    for (const url of keep) {
      if (!this.states.has(url)) this.states.set(url, { url, source: 'discovered', downUntilMs: 0, failuresInRow: 0 });
    }
    const until = this.now() + coolDownMs;
    for (const url of downUrls) {
      const s = this.states.get(url)!;
      s.downUntilMs = Math.max(s.downUntilMs, until);
    }
  }

  /** A rotating start offset: each call begins at the next endpoint, spreading load evenly. */
  nextOffset(): number {
    const o = this.cursor;
    this.cursor = (this.cursor + 1) % 1_000_000;
    return o;
  }

  /**
   * The endpoint for the next attempt of a call that started at `offset`: the first healthy one
   * not tried yet in this call, in rotation order; else any healthy one; else the one whose
   * cool-down ends first.
   */
  pick(tried: ReadonlySet<string> = new Set(), offset = 0): string {
    const list = [...this.states.values()];
    const k = offset % list.length;
    const all = [...list.slice(k), ...list.slice(0, k)];
    const t = this.now();
    const healthy = all.filter((s) => s.downUntilMs <= t);
    const fresh = healthy.find((s) => !tried.has(s.url)) ?? healthy[0];
    if (fresh) return fresh.url;
    const untried = all.filter((s) => !tried.has(s.url));
    const candidates = untried.length > 0 ? untried : all;
    return candidates.reduce((a, b) => (b.downUntilMs < a.downUntilMs ? b : a)).url;
  }

  /** Records a success: the endpoint is healthy again. */
  markUp(url: string): void {
    const s = this.states.get(url);
    if (s) {
      s.downUntilMs = 0;
      s.failuresInRow = 0;
    }
  }

  /** Records a node failure; `coolDown` gives the pause from the number of failures in a row. */
  markDown(url: string, coolDown: (failuresInRow: number) => number): void {
    const s = this.states.get(url);
    if (!s) return;
    s.failuresInRow++;
    s.downUntilMs = this.now() + coolDown(s.failuresInRow);
  }
}
