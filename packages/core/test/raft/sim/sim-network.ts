// Simulated network for the Raft simulator: every message gets a random delay (so messages reorder),
// may be dropped or duplicated, and is lost if a partition separates its ends at send or delivery.
import type { RaftMessage } from '../../../src/raft/messages.js';
import type { Rng } from '../prng.js';
import { chance, randInt } from '../prng.js';

export interface NetOptions {
  dropP: number;
  dupP: number;
  /** Each message takes 1..delayTicksMax ticks. */
  delayTicksMax: number;
}

interface InFlight {
  m: RaftMessage;
  at: number;
}

export class SimNetwork {
  private inflight: InFlight[] = [];
  /** node -> side; nodes on different sides cannot talk. Null: fully connected. */
  private sides: Map<string, number> | null = null;
  sent = 0;
  dropped = 0;

  constructor(private readonly rng: Rng, public opts: NetOptions) {}

  /** A bound on every queue: more in flight than this means a runaway loop. */
  static readonly inflightMax = 100_000;

  send(m: RaftMessage, now: number): void {
    this.sent++;
    if (this.blocked(m.from, m.to) || chance(this.rng, this.opts.dropP)) {
      this.dropped++;
      return;
    }
    const copies = chance(this.rng, this.opts.dupP) ? 2 : 1;
    for (let i = 0; i < copies; i++) this.inflight.push({ m, at: now + randInt(this.rng, 1, this.opts.delayTicksMax + 1) });
    if (this.inflight.length > SimNetwork.inflightMax) throw new Error('network queue bound exceeded');
  }

  /** Messages due at `now`, in random order. */
  due(now: number): RaftMessage[] {
    const msgs: RaftMessage[] = [];
    const keep: InFlight[] = [];
    for (const f of this.inflight) {
      if (f.at <= now) msgs.push(f.m);
      else keep.push(f);
    }
    this.inflight = keep;
    for (let i = msgs.length - 1; i > 0; i--) {
      const j = Math.floor(this.rng() * (i + 1));
      [msgs[i], msgs[j]] = [msgs[j], msgs[i]];
    }
    return msgs.filter((m) => !this.blocked(m.from, m.to));
  }

  blocked(a: string, b: string): boolean {
    return this.sides !== null && this.sides.get(a) !== this.sides.get(b);
  }

  /** Splits `ids` at random into two non-empty sides. */
  partition(ids: readonly string[]): string[][] {
    const sides = new Map<string, number>();
    for (const id of ids) sides.set(id, chance(this.rng, 0.5) ? 1 : 0);
    const first = ids[randInt(this.rng, 0, ids.length)];
    sides.set(first, 0);
    const other = ids.filter((id) => id !== first)[randInt(this.rng, 0, ids.length - 1)];
    if (other !== undefined) sides.set(other, 1);
    this.sides = sides;
    return [0, 1].map((s) => ids.filter((id) => sides.get(id) === s));
  }

  heal(): void {
    this.sides = null;
  }

  isPartitioned(): boolean {
    return this.sides !== null;
  }

  inFlight(): number {
    return this.inflight.length;
  }
}
