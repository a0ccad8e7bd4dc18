// What a node has streamed so far in the current move, kept in the meta key space so a crash of
// either side resumes where it stopped instead of starting over.
import type { MetaStore } from '../meta-store.js';

const KEY = 'stream-progress';

export interface StreamProgressState {
  /** Partitions fully moved, per purpose ("receive" or "send:<node>"). */
  done: Record<string, number[]>;
  /** Last key moved (hex) of partitions in progress, per purpose and partition. */
  cursors: Record<string, Record<string, string>>;
  /** Highest epoch whose gained partitions this node has already pulled (or had none). */
  caughtUpEpoch?: number;
  /** This node saw itself removed: handing its hints over, or done (it has left). Survives a restart. */
  removed?: 'handing-over-hints' | 'left';
  /**
   * Partitions this node owns but has not received yet (gained at an epoch, pull not finished). It
   * serves no pull of them meanwhile: an empty copy must never pass for the partition.
   */
  missing?: number[];
}

export class StreamProgress {
  private state: StreamProgressState = { done: {}, cursors: {} };

  constructor(private readonly meta: MetaStore) {}

  async load(): Promise<void> {
    const bytes = await this.meta.get(KEY);
    if (!bytes) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch (err) {
      throw new Error(`stream progress in node metadata does not parse: ${(err as Error).message}`);
    }
    this.state = checkProgress(parsed);
  }

  isDone(purpose: string, partition: number): boolean {
    return this.state.done[purpose]?.includes(partition) ?? false;
  }

  cursor(purpose: string, partition: number): Uint8Array | undefined {
    const hex = this.state.cursors[purpose]?.[String(partition)];
    return hex === undefined ? undefined : Buffer.from(hex, 'hex');
  }

  async advance(purpose: string, partition: number, lastKey: Uint8Array): Promise<void> {
    (this.state.cursors[purpose] ??= {})[String(partition)] = Buffer.from(lastKey).toString('hex');
    await this.save();
  }

  async finish(purpose: string, partition: number): Promise<void> {
    (this.state.done[purpose] ??= []).push(partition);
    delete this.state.cursors[purpose]?.[String(partition)];
    await this.save();
  }

  get caughtUpEpoch(): number {
    return this.state.caughtUpEpoch ?? 0;
  }

  async markCaughtUp(epoch: number): Promise<void> {
    if (epoch <= this.caughtUpEpoch) return;
    this.state.caughtUpEpoch = epoch;
    await this.save();
  }

  isMissing(partition: number): boolean {
    return this.state.missing?.includes(partition) ?? false;
  }

  get missingCount(): number {
    return this.state.missing?.length ?? 0;
  }

  /** Sets the partitions not received yet (synced only when it changed). */
  async setMissing(partitions: readonly number[]): Promise<void> {
    const next = [...new Set(partitions)].sort((a, b) => a - b);
    const before = this.state.missing ?? [];
    if (next.length === before.length && next.every((p, i) => p === before[i])) return;
    if (next.length === 0) delete this.state.missing;
    else this.state.missing = next;
    await this.save();
  }

  get removed(): StreamProgressState['removed'] {
    return this.state.removed;
  }

  async markRemoved(phase: StreamProgressState['removed']): Promise<void> {
    if (this.state.removed === phase) return;
    if (phase === undefined) delete this.state.removed;
    else this.state.removed = phase;
    await this.save();
  }

  async clear(purpose?: string): Promise<void> {
    const before = JSON.stringify(this.state);
    if (purpose === undefined) this.state = { done: {}, cursors: {}, caughtUpEpoch: this.state.caughtUpEpoch, removed: this.state.removed, missing: this.state.missing };
    else {
      delete this.state.done[purpose];
      delete this.state.cursors[purpose];
    }
    // A synced write costs a flush: only when something changed.
    if (JSON.stringify(this.state) !== before) await this.save();
  }

  private async save(): Promise<void> {
    await this.meta.put(KEY, Buffer.from(JSON.stringify(this.state)));
  }
}

const isPartitionList = (v: unknown): v is number[] => Array.isArray(v) && v.every((p) => Number.isInteger(p) && p >= 0 && p < 65536);

/** The stored progress, checked field by field (stored bytes are not trusted either). */
function checkProgress(v: unknown): StreamProgressState {
  const bad = (what: string): never => {
    throw new Error(`stream progress in node metadata is malformed: ${what}`);
  };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad('not an object');
  const o = v as Record<string, unknown>;
  const done = o.done ?? {};
  const cursors = o.cursors ?? {};
  if (typeof done !== 'object' || done === null || !Object.values(done).every(isPartitionList)) bad('done');
  if (typeof cursors !== 'object' || cursors === null || !Object.values(cursors).every((c) => typeof c === 'object' && c !== null && Object.values(c).every((h) => typeof h === 'string' && /^[0-9a-f]*$/.test(h)))) bad('cursors');
  if (o.caughtUpEpoch !== undefined && !Number.isSafeInteger(o.caughtUpEpoch)) bad('caughtUpEpoch');
  if (o.removed !== undefined && o.removed !== 'handing-over-hints' && o.removed !== 'left') bad('removed');
  if (o.missing !== undefined && !isPartitionList(o.missing)) bad('missing');
  return {
    done: Object.assign(Object.create(null), done) as Record<string, number[]>,
    cursors: Object.assign(Object.create(null), cursors) as Record<string, Record<string, string>>,
    ...(o.caughtUpEpoch !== undefined ? { caughtUpEpoch: o.caughtUpEpoch as number } : {}),
    ...(o.removed !== undefined ? { removed: o.removed as 'handing-over-hints' | 'left' } : {}),
    ...(o.missing !== undefined ? { missing: o.missing as number[] } : {}),
  };
}
